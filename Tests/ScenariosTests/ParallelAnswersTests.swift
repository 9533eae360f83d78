import Testing
import StripeWire
@testable import Scenarios

/// A `parallel` block's answers come back in request order whatever order their tasks finish
/// in, and a request whose task kept nothing gets the stand-in instead of a trap.
@Suite struct ParallelAnswersTests {
    struct Refused: Error {}

    @Test func answersKeepRequestOrderAndMissingOnesGetTheStandIn() async {
        let answers = ParallelAnswers(count: 40)
        await withTaskGroup(of: Void.self) { group in
            // Every index but 7, finishing in whatever order the tasks run.
            for i in 0..<40 where i != 7 {
                group.addTask {
                    if i % 5 == 0 { answers.keep(.failure(Refused()), at: i); return }
                    answers.keep(.success(HTTP.Reply(status: 200 + i, json: ["n": .int(i)], text: "")), at: i)
                }
            }
        }
        let all = answers.all { _ in .success(HTTP.Reply(status: -1, json: nil, text: "missing")) }
        #expect(all.count == 40)
        for (i, answer) in all.enumerated() {
            switch answer {
            case .success(let reply) where i == 7: #expect(reply.status == -1 && reply.text == "missing")
            case .success(let reply): #expect(i % 5 != 0 && reply.status == 200 + i && reply.json["n"] == .int(i))
            case .failure(let error): #expect(i % 5 == 0 && error is Refused)
            }
        }
    }
}
