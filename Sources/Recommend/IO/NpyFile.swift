import DenseLinalg
import Foundation

/// NumPy `.npy` files (format version 1.0): a `Matrix<Float>` as a C-order little-endian
/// `float32` array that `numpy.load` reads directly.
public enum NpyFile {
    /// The file's bytes: magic `\x93NUMPY`, version 1.0, a UInt16 header length, the header
    /// dictionary padded with spaces to a multiple of 64 bytes and ended by a newline, the data.
    public static func encode(_ m: Matrix<Float>) -> [UInt8] {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(m.rows), \(m.columns)), }"
        let prefix = 10
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        out += [UInt8(length & 0xFF), UInt8(length >> 8)]
        out += Array(header.utf8)
        out.reserveCapacity(out.count + 4 * m.count)
        for v in m.elements { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// Writes `m` to `path` atomically.
    public static func write(_ m: Matrix<Float>, to path: String) throws {
        try AtomicFile.write(Data(encode(m)), to: path)
    }
}

/// The user and item factor matrices of factor models.
public enum FactorExport {
    /// (users × k, items × k) for svd, nmf, als and als-explicit; nil for other models.
    public static func factors(of model: any Recommender) -> (users: Matrix<Float>, items: Matrix<Float>)? {
        switch model {
        case let m as PureSVDRecommender: return m.userFactors.flatMap { u in m.itemFactors.map { (u, $0) } }
        case let m as NMFRecommender: return m.userFactors.flatMap { u in m.itemFactors.map { (u, $0) } }
        case let m as ALSRecommender: return m.model.map { ($0.userFactors, $0.itemFactors) }
        case let m as ExplicitALSRecommender: return m.model.map { ($0.userFactors, $0.itemFactors) }
        default: return nil
        }
    }
}
