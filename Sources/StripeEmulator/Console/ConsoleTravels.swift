import Synchronization

/// Clock moves the console started, per account: a long one keeps running after the form's
/// answer, and the progress page (which reloads itself, no JavaScript) shows how far the
/// account clock has got until the move's own answer is in.
final class ConsoleTravels: Sendable {
    struct Travel: Sendable {
        let from: Int
        let target: Int
        /// The control route's answer, once it came.
        var answer: ConsoleAPI.Answer?
    }

    private let travels = Mutex<[String: Travel]>([:])
    private let waiters = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])
    private let patienceValue = Mutex<Duration>(.seconds(2))

    /// How long the form waits for a move before it shows the progress page instead.
    var patience: Duration {
        get { patienceValue.withLock { $0 } }
        set { patienceValue.withLock { $0 = newValue } }
    }

    func current(_ account: String) -> Travel? { travels.withLock { $0[account] } }

    enum Outcome: Sendable {
        /// The move answered within ``patience``.
        case done(ConsoleAPI.Answer)
        /// Still running: show the progress page.
        case running
        /// Another move of the account was already running; this one was not started.
        case busy
    }

    /// Starts `move` unless one is running for the account, and waits at most ``patience`` for it.
    func start(account: String, from: Int, target: Int, _ move: @escaping @Sendable () async -> ConsoleAPI.Answer) async -> Outcome {
        let started = travels.withLock { t -> Bool in
            if let running = t[account], running.answer == nil { return false }
            t[account] = Travel(from: from, target: target)
            return true
        }
        guard started else { return .busy }
        let task = Task {
            let answer = await move()
            travels.withLock { $0[account]?.answer = answer }
            let waiting = waiters.withLock { $0.removeValue(forKey: account) ?? [] }
            for w in waiting { w.resume() }
            return answer
        }
        let patience = self.patience
        // Whichever comes first: the answer or the end of patience (the move goes on either way).
        let first: ConsoleAPI.Answer? = await withCheckedContinuation { continuation in
            let once = Once(continuation)
            Task { once.resume(await task.value) }
            Task { try? await Task.sleep(for: patience); once.resume(nil) }
        }
        guard let answer = first else { return .running }
        _ = take(account)
        return .done(answer)
    }

    /// The finished move's answer, forgotten once read.
    func take(_ account: String) -> ConsoleAPI.Answer? {
        travels.withLock { t in
            guard let answer = t[account]?.answer else { return nil }
            t[account] = nil
            return answer
        }
    }

    /// Returns when the account's running move has answered (at once when none runs): for tests.
    func wait(_ account: String) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = travels.withLock { t -> Bool in
                guard let running = t[account], running.answer == nil else { return true }
                waiters.withLock { $0[account, default: []].append(c) }
                return false
            }
            if now { c.resume() }
        }
    }
}

/// Resumes a continuation with the first value given, ignoring later ones.
private final class Once: Sendable {
    private let continuation: Mutex<CheckedContinuation<ConsoleAPI.Answer?, Never>?>

    init(_ continuation: CheckedContinuation<ConsoleAPI.Answer?, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ value: ConsoleAPI.Answer?) {
        continuation.withLock { c in
            c?.resume(returning: value)
            c = nil
        }
    }
}
