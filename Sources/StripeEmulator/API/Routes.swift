/// Every route the emulator serves, Stripe's and the `/_emulator/` control API, in one table.
enum Routes {
    static func router() -> APIRouter {
        var r = APIRouter()
        Account.register(&r)
        Balance.register(&r)
        NotEmulated.register(&r)
        Customers.register(&r)
        Products.register(&r)
        Prices.register(&r)
        PaymentMethods.register(&r)
        Tokens.register(&r)
        SetupIntents.register(&r)
        Subscriptions.register(&r)
        SubscriptionItems.register(&r)
        Invoices.register(&r)
        InvoiceItems.register(&r)
        PaymentIntents.register(&r)
        Captures.register(&r)
        Refunds.register(&r)
        Disputes.register(&r)
        TestClocks.register(&r)
        Events.register(&r)
        WebhookEndpoints.register(&r)
        CheckoutSessions.register(&r)
        BillingPortal.register(&r)
        HostedPageControlRoutes.register(&r)
        ControlRoutes.register(&r)
        DeliveryControlRoutes.register(&r)
        DirectControlRoutes.register(&r)
        return r
    }
}
