import StripeEmulator

/// What `effinity --version` prints: the release and the Stripe API versions the fake speaks.
enum EffinityVersion {
    static let release = "0.9.0"
    static var description: String {
        "effinity \(release) (Stripe API \(APIVersion.known.first!) to \(APIVersion.known.last!), newest by default)"
    }
}
