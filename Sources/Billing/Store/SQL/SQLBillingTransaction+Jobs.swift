/// The `jobs` table's queries (the queue of ``QueuedJob``s), written once for both backends.
extension SQLBillingTransaction {
    func enqueueJob(kind: QueuedJob.Kind, orderKey: String, eventID: String?, payload: String, at: Int) throws -> Bool {
        try !sql.all("""
            INSERT INTO jobs (kind, order_key, event_id, payload, status, attempts, run_at, created_at)
            VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)
            ON CONFLICT (event_id) DO NOTHING RETURNING id
            """, kind.rawValue, orderKey, eventID, payload, at, at).isEmpty
    }

    func claimJob(worker: String, now: Int, lease: Int) throws -> QueuedJob? {
        // The inner SELECT picks and (on PostgreSQL) locks one row, skipping rows another
        // worker's open transaction holds; the UPDATE claims it. A job waits while an earlier
        // job with its order key is queued or running (a dead one no longer holds it up).
        try sql.one("""
            UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = ?, locked_until = ?, started_at = ?
            WHERE id = (
                SELECT j.id FROM jobs j
                WHERE ((j.status = 'queued' AND j.run_at <= ?) OR (j.status = 'running' AND j.locked_until < ?))
                  AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.order_key = j.order_key AND e.id < j.id
                                  AND e.status IN ('queued', 'running'))
                ORDER BY j.id LIMIT 1\(sql.dialect == .postgres ? " FOR UPDATE OF j SKIP LOCKED" : ""))
            RETURNING *
            """, worker, now + lease, now, now, now).map(job)
    }

    func finishJob(id: Int, worker: String, outcome: String, at: Int) throws -> Bool {
        try !sql.all("""
            UPDATE jobs SET status = 'done', outcome = ?, finished_at = ?, locked_by = NULL, locked_until = NULL, last_error = NULL
            WHERE id = ? AND locked_by = ? AND status = 'running' RETURNING id
            """, outcome, at, id, worker).isEmpty
    }

    func failJob(id: Int, worker: String, error: String, retryAt: Int?, at: Int) throws -> Bool {
        try !sql.all("""
            UPDATE jobs SET status = ?, run_at = ?, last_error = ?, finished_at = ?, locked_by = NULL, locked_until = NULL
            WHERE id = ? AND locked_by = ? AND status = 'running' RETURNING id
            """, retryAt == nil ? QueuedJob.Status.dead.rawValue : QueuedJob.Status.queued.rawValue, retryAt ?? at, String(error.prefix(2000)),
            retryAt == nil ? at : nil, id, worker).isEmpty
    }

    func jobStats(now: Int) throws -> JobQueueStats {
        var stats = JobQueueStats()
        for row in try sql.all("SELECT kind, status, COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running', 'dead') GROUP BY kind, status") {
            guard let kind = QueuedJob.Kind(rawValue: try row.string("kind")) else { continue }
            let n = try row.int("n")
            if try row.string("status") == QueuedJob.Status.dead.rawValue { stats.dead[kind, default: 0] += n } else { stats.depth[kind, default: 0] += n }
        }
        if let oldest = try sql.one("SELECT MIN(created_at) AS t FROM jobs WHERE status IN ('queued', 'running')")?.optionalInt("t") {
            stats.oldestAge = max(0, now - oldest)
        }
        return stats
    }

    func jobs(status: QueuedJob.Status, orderKeys: [String], limit: Int) throws -> [QueuedJob] {
        guard !orderKeys.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: orderKeys.count).joined(separator: ", ")
        return try sql.fetch("SELECT * FROM jobs WHERE status = ? AND order_key IN (\(marks)) ORDER BY id DESC LIMIT ?",
                             [status.rawValue.sqlValue] + orderKeys.map(\.sqlValue) + [limit.sqlValue]).map(job)
    }

    func job(eventID: String) throws -> QueuedJob? {
        try sql.one("SELECT * FROM jobs WHERE event_id = ?", eventID).map(job)
    }

    func pendingJobs(now: Int) throws -> (due: Int, running: Int) {
        // Claimable now: due, and not behind an unfinished job of its order key (one behind a
        // running job is waited for through `running`; one behind a job backing off is not due).
        let due = try sql.count("""
            SELECT COUNT(*) AS n FROM jobs j
            WHERE ((j.status = 'queued' AND j.run_at <= ?) OR (j.status = 'running' AND j.locked_until < ?))
              AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.order_key = j.order_key AND e.id < j.id AND e.status IN ('queued', 'running'))
            """, now, now)
        let running = try sql.count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'running' AND locked_until >= ?", now)
        return (due, running)
    }

    func job(_ r: SQLRow) throws -> QueuedJob {
        QueuedJob(id: try r.int("id"), kind: QueuedJob.Kind(rawValue: try r.string("kind")) ?? .stripeEvent, orderKey: try r.string("order_key"),
            eventID: r.optionalString("event_id"), payload: try r.string("payload"),
            status: QueuedJob.Status(rawValue: try r.string("status")) ?? .queued, attempts: try r.int("attempts"), runAt: try r.int("run_at"),
            lockedBy: r.optionalString("locked_by"), lockedUntil: r.optionalInt("locked_until"), lastError: r.optionalString("last_error"),
            outcome: r.optionalString("outcome"), createdAt: try r.int("created_at"), startedAt: r.optionalInt("started_at"),
            finishedAt: r.optionalInt("finished_at"))
    }
}
