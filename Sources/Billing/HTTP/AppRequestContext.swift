import Hummingbird
import NIOCore

/// The app's request context: Hummingbird's basic one plus the client's address, which the
/// failed-authentication limit counts by (``FailedAuthLimiter``).
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address ("local" for in-process test clients without a socket).
    var clientAddress: String { remoteAddress?.ipAddress ?? "local" }
}
