/// What a caller may do in their organization: the app's role table, in one place.
///
/// Every route names the permission it needs (``BillingApp`` refuses the rest with 403), and the
/// README's role table is this switch written out; `PermissionTests` checks both route by route.
/// Billing data (invoices with their hosted and PDF links, the customer portal) is for owners and
/// admins: a member sees the plan and its limits, which they need to work, and nothing they pay.
public enum Permission: String, Sendable, CaseIterable {
    /// The plan, its status and limits, usage (`GET /api/billing/subscription`, `/usage`, the dashboard's plan and usage).
    case viewPlan
    /// Invoices and their links (`GET /api/billing/invoices`, the dashboard's invoice table).
    case viewInvoices
    /// Checkout, plan changes, the customer portal.
    case manageBilling
    /// Leads and properties (the CRM).
    case useCRM
    /// The member list.
    case viewMembers
    /// Inviting members (as admin or member).
    case inviteMembers
    /// Changing a role, removing a member (owner only: access is the owner's decision).
    case manageRoles

    /// Whether `role` has this permission.
    public func allows(_ role: Role) -> Bool {
        switch self {
        case .viewPlan, .useCRM, .viewMembers: true
        case .viewInvoices, .manageBilling, .inviteMembers: role == .owner || role == .admin
        case .manageRoles: role == .owner
        }
    }
}
