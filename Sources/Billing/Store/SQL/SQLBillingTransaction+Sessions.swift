/// The queries of sign-in: one-time links, browser sessions, revocation, memberships removed,
/// Firebase identities. Written once for both backends, like the rest of ``SQLBillingTransaction``.
extension SQLBillingTransaction {
    /// The (user, org) of a token or link row.
    static func userAndOrg(_ row: SQLRow) throws -> (userID: String, orgID: String) {
        (try row.string("user_id"), try row.string("org_id"))
    }

    func deleteMembership(org: String, user: String) throws {
        try sql.execute("DELETE FROM memberships WHERE org_id = ? AND user_id = ?", org, user)
    }

    func memberships(user: String) throws -> [Membership] {
        try memberships(where: "m.user_id", is: user, orderBy: "org_id")
    }

    func insertSignInLink(codeHash: String, userID: String, orgID: String, expiresAt: Int, createdAt: Int) throws {
        try sql.execute("INSERT INTO sign_in_links (code_hash, user_id, org_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                        codeHash, userID, orgID, expiresAt, createdAt)
    }

    func signInLink(codeHash: String, now: Int) throws -> (userID: String, orgID: String)? {
        try sql.one("SELECT user_id, org_id FROM sign_in_links WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?", codeHash, now)
            .map(Self.userAndOrg)
    }

    func useSignInLink(codeHash: String, now: Int) throws -> (userID: String, orgID: String)? {
        try sql.one("""
            UPDATE sign_in_links SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?
            RETURNING user_id, org_id
            """, now, codeHash, now).map(Self.userAndOrg)
    }

    func insertWebSession(tokenHash: String, userID: String, orgID: String, source: String, expiresAt: Int, createdAt: Int) throws {
        try sql.execute("""
            INSERT INTO web_sessions (token_hash, user_id, org_id, source, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, tokenHash, userID, orgID, source, expiresAt, createdAt)
    }

    func webSession(tokenHash: String, now: Int) throws -> (userID: String, orgID: String)? {
        try sql.one("SELECT user_id, org_id FROM web_sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?", tokenHash, now)
            .map(Self.userAndOrg)
    }

    func revokeWebSession(tokenHash: String, at: Int) throws {
        try sql.execute("UPDATE web_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", at, tokenHash)
    }

    func revokeSessions(userID: String, orgID: String, at: Int) throws -> Int {
        var n = 0
        for table in ["sessions", "web_sessions"] {
            n += try sql.all("""
                UPDATE \(table) SET revoked_at = ? WHERE user_id = ? AND org_id = ? AND revoked_at IS NULL AND expires_at > ?
                RETURNING token_hash
                """, at, userID, orgID, at).count
        }
        return n
    }

    func user(firebaseUID: String) throws -> User? {
        try sql.one("SELECT u.id, u.email, u.created_at FROM firebase_identities f JOIN users u ON u.id = f.user_id WHERE f.uid = ?",
                    firebaseUID).map {
            User(id: try $0.string("id"), email: try $0.string("email"), createdAt: try $0.int("created_at"))
        }
    }

    func linkFirebase(uid: String, userID: String, at: Int) throws {
        try sql.execute("INSERT INTO firebase_identities (uid, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (uid) DO NOTHING",
                        uid, userID, at)
    }
}
