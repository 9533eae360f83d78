import Synchronization

/// The answers of a `parallel` block's requests, kept by each request's task at its index.
///
/// Why not return `(index, Result)` from each child task and collect them from the group: in the
/// release build the second child's tuple arrived with the index `7287435672404635696`, which is
/// the bytes `0001","e` (JSON text), so `out.map { $0! }` trapped and `effinity scenarios run`
/// from a release build failed `parallel_same_idempotency_key` (the debug build passed). The
/// slot held other data. A release build with AddressSanitizer (every Swift module instrumented)
/// traps the same way and reports no invalid access before it, and a minimal program with the
/// same task group pattern is right under `-O`: the wrong value comes from the compiler or the
/// concurrency runtime for this result type, not reduced further. With no result crossing the
/// group, the suite passes from a release build (this scenario also under the sanitizer); a lost answer
/// would become the step's failure, not a trap.
final class ParallelAnswers: Sendable {
    private let answers: Mutex<[Result<HTTP.Reply, any Error>?]>

    init(count: Int) {
        answers = Mutex(Array(repeating: nil, count: count))
    }

    func keep(_ answer: Result<HTTP.Reply, any Error>, at index: Int) {
        answers.withLock { $0[index] = answer }
    }

    /// Every answer in request order; `missing` stands in for a request whose task kept none.
    func all(missing: (Int) -> Result<HTTP.Reply, any Error>) -> [Result<HTTP.Reply, any Error>] {
        let kept = answers.withLock { $0 }
        return kept.indices.map { kept[$0] ?? missing($0) }
    }
}
