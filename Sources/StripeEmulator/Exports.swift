/// The engine's public types (database, settings, clocks, transports) come with the API surface,
/// as HummingbirdCore's come with Hummingbird.
@_exported import StripeEngine
