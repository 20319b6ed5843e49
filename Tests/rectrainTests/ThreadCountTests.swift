import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--threads 1` runs every stage on one thread: a process that never runs two threads at once
/// cannot use more CPU time than wall-clock time, whatever else the machine is doing (load only
/// lowers the ratio). The same run with --threads 2 used 1.3–1.4× its wall time on two cores
/// (checked by hand); before `main` set BLAS to --threads for code outside the kernels' own
/// regions, --threads 1 used 1.2×.
@Suite struct ThreadCountTests {
    /// Runs rectrain with `arguments`; the wall time and the CPU time (user + system) of that
    /// child alone, from wait4.
    static func measure(_ arguments: [String]) throws -> (status: Int32, wall: Double, cpu: Double) {
        var pid: pid_t = 0
        let argv = ([CLI.binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let start = Date()
        let spawned = posix_spawn(&pid, CLI.binary, &actions, nil, argv, environ)
        guard spawned == 0 else { throw CocoaError(.executableLoad) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let wall = Date().timeIntervalSince(start)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return (status, wall, seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }

    @Test func oneThreadNeverUsesMoreCPUThanWallTime() throws {
        let out = try CLI.folder("threads-1")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Every stage: generation, features, every ranking model trained and evaluated, sessions,
        // segmentation, reports.
        let run = try Self.measure(["pipeline", "--threads", "1", "--users", "300", "--titles", "120", "--interactions", "8000",
                                    "--sessions", "1000", "--out", out, "--quiet"])
        #expect(run.status == 0)
        // OpenBLAS's pool, started when the library loads, spins for up to 2²⁸ cycles (~0.1 s)
        // before it sleeps: the only allowance. A stage on two threads here costs seconds.
        #expect(run.cpu <= run.wall * 1.02 + 0.3, "CPU \(run.cpu) s in \(run.wall) s of wall time with --threads 1")
    }

    static let topN = "../shared/data/splits/ml100k/topn_train.csv"

    /// The same model file on 1 and 2 threads at a real size: SVD and NMF on the MovieLens 100K
    /// top-N split (943 × 1,682; their GEMMs and Gram matrices split into blocks there, and
    /// OpenBLAS computed a row differently for a different number of rows in the call).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: topN), "../shared is absent"), arguments: [["svd"], ["nmf", "--iterations", "5"]])
    func modelFilesDoNotDependOnTheThreadCount(model: [String]) throws {
        let out = try CLI.folder("threads-model")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var files: [Data] = []
        for threads in ["1", "2"] {
            let file = out + "/\(threads).rec"
            let r = try CLI.run(["train", "--data", Self.topN, "--model"] + model + ["--threads", threads, "--output", file, "--quiet"])
            #expect(r.status == 0, "\(r.err)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: file)))
        }
        #expect(files[0] == files[1], "\(model[0]): different model files on 1 and 2 threads")
    }
}
