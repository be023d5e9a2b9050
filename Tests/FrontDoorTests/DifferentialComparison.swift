import Testing

/// The differential tests' verdict: memcached answered every step (else the script compares
/// nothing), and the sidecar's answer to each step is memcached's. `steps` names each step.
func expectSameAnswers(memcached expected: [String], sidecar actual: [String], steps: [String], _ label: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!expected.contains("<no answer>"), "\(label): memcached left steps unanswered: \(expected)", sourceLocation: sourceLocation)
    for (i, step) in steps.enumerated() {
        #expect(actual[i] == expected[i],
                "\(label) step \(i) `\(step)`: memcached \(expected[i].debugDescription), sidecar \(actual[i].debugDescription)",
                sourceLocation: sourceLocation)
    }
}
