import FuzzTargets
import Foundation

/// libFuzzer's driver (linked by `-sanitize=fuzzer`), called from our own entry point because
/// SwiftPM gives every executable its own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The harness the C callback reaches (libFuzzer runs inputs one at a time, on one thread).
nonisolated(unsafe) var current: FuzzHarness?

@main
struct RecommendFuzz {
    static func main() {
        let target = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? "ratings"
        guard let harness = try? FuzzHarness(target: target, folder: "/dev/shm/recommend-fuzz-\(getpid())") else {
            fatalError("FUZZ_TARGET must be one of \(FuzzHarness.targets)")
        }
        current = harness
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            current!.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        }
        exit(status)
    }
}
