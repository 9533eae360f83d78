import StripeWire

/// Signing in and out: one-time sign-in links, browser sessions, revocation, and the members
/// of an organization (removing one or changing a role revokes their sessions at once).
extension BillingService {
    /// How long a sign-in link can be used (once): long enough to open an email, short enough
    /// that a link found later in a log or history is dead.
    public static let signInLinkLifetime = 15 * 60
    /// A browser session made from a sign-in link.
    public static let linkSessionLifetime = 7 * 86400

    /// A one-time sign-in link's code for a member; only its SHA-256 is stored.
    public func createSignInLink(userID: String, orgID: String, ttl: Int = signInLinkLifetime) async throws -> String {
        let code = "effl_" + Self.token(40)
        let now = clock.now()
        try await store.write { tx in
            try tx.insertSignInLink(codeHash: Self.hash(code), userID: userID, orgID: orgID, expiresAt: now + ttl, createdAt: now)
        }
        return code
    }

    /// Who a sign-in link is for, without using it (the page that asks to continue).
    public func peekSignInLink(_ code: String) async throws -> Caller? {
        let now = clock.now()
        return try await store.read { tx in
            guard let (userID, org) = try tx.signInLink(codeHash: Self.hash(code), now: now) else { return nil }
            return try SessionAuthenticator.caller(userID: userID, org: org, tx)
        }
    }

    /// Uses a sign-in link (once) and opens a browser session; nil when the link is unknown,
    /// used, expired, or its member was removed meanwhile.
    public func signIn(linkCode code: String) async throws -> (token: String, caller: Caller)? {
        let now = clock.now()
        let token = "effw_" + Self.token(40)
        return try await store.write { tx -> (String, Caller)? in
            guard let (userID, org) = try tx.useSignInLink(codeHash: Self.hash(code), now: now),
                  let caller = try SessionAuthenticator.caller(userID: userID, org: org, tx) else { return nil }
            try tx.insertWebSession(tokenHash: Self.hash(token), userID: userID, orgID: org, source: "link",
                                    expiresAt: now + Self.linkSessionLifetime, createdAt: now)
            return (token, caller)
        }
    }

    /// A new browser session (the cookie's token); only its SHA-256 is stored.
    public func createWebSession(userID: String, orgID: String, source: String, ttl: Int) async throws -> String {
        let token = "effw_" + Self.token(40)
        let now = clock.now()
        try await store.write { tx in
            try tx.insertWebSession(tokenHash: Self.hash(token), userID: userID, orgID: orgID, source: source, expiresAt: now + ttl, createdAt: now)
        }
        return token
    }

    /// Ends one browser session or API token (logout, `effinity token --revoke`). Revoking
    /// what is unknown or already revoked is not an error: the token is dead either way.
    public func revoke(token: String) async throws {
        let hash = Self.hash(token)
        let now = clock.now()
        try await store.write { tx in
            try tx.revokeSession(tokenHash: hash, at: now)
            try tx.revokeWebSession(tokenHash: hash, at: now)
        }
    }

    /// Ends every API token and browser session of a member ("sign out everywhere").
    @discardableResult
    public func revokeAll(userID: String, orgID: String) async throws -> Int {
        let now = clock.now()
        return try await store.write { tx in try tx.revokeSessions(userID: userID, orgID: orgID, at: now) }
    }

    /// Changes a member's role, revoking their sessions. An organization always keeps an owner:
    /// the last owner cannot be demoted (transfer by making another member owner first).
    public func changeRole(org: String, userID: String, to role: Role) async throws -> Membership {
        let now = clock.now()
        return try await store.write { tx in
            let members = try tx.members(org: org)
            guard var m = members.first(where: { $0.userID == userID }) else { throw AppError.notFound("member") }
            if m.role == .owner, role != .owner, members.filter({ $0.role == .owner }).count == 1 {
                throw AppError(409, "last_owner", "An organization needs an owner: make another member owner first.")
            }
            guard m.role != role else { return m }
            m.role = role
            try tx.upsertMembership(m)
            try tx.revokeSessions(userID: userID, orgID: org, at: now)
            return m
        }
    }

    /// Removes a member and revokes their sessions; the last owner cannot be removed.
    public func removeMember(org: String, userID: String) async throws {
        let now = clock.now()
        try await store.write { tx in
            let members = try tx.members(org: org)
            guard let m = members.first(where: { $0.userID == userID }) else { throw AppError.notFound("member") }
            if m.role == .owner, members.filter({ $0.role == .owner }).count == 1 {
                throw AppError(409, "last_owner", "An organization needs an owner: make another member owner before removing this one.")
            }
            try tx.revokeSessions(userID: userID, orgID: org, at: now)
            try tx.deleteMembership(org: org, user: userID)
        }
    }
}

extension BillingService {
    /// Revokes `token` if it is one of `caller`'s own API tokens or browser sessions; false
    /// when it is not (someone else's token is "not found", as another org's data is).
    public func revoke(token: String, of caller: Caller) async throws -> Bool {
        let hash = Self.hash(token)
        let now = clock.now()
        return try await store.write { tx in
            let owner = try tx.session(tokenHash: hash, now: now) ?? tx.webSession(tokenHash: hash, now: now)
            guard let owner, owner.userID == caller.userID, owner.orgID == caller.org else { return false }
            try tx.revokeSession(tokenHash: hash, at: now)
            try tx.revokeWebSession(tokenHash: hash, at: now)
            return true
        }
    }
}

extension BillingService {
    /// The memberships of a Firebase user: found by uid, else by a verified email, which links
    /// the uid to that user (an invited email joins its organizations on first sign-in). An
    /// unverified email never matches: anyone can claim an address they do not own.
    public func memberships(of claims: VerifiedIDToken) async throws -> [Membership] {
        let now = clock.now()
        return try await store.write { tx -> [Membership] in
            var user = try tx.user(firebaseUID: claims.uid)
            if user == nil, claims.emailVerified, let email = claims.email, let invited = try tx.user(email: email) {
                try tx.linkFirebase(uid: claims.uid, userID: invited.id, at: now)
                user = invited
            }
            guard let user else { return [] }
            return try tx.memberships(user: user.id)
        }
    }
}
