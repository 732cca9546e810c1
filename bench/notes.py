"""The fixed text of bench/RESULTS.md: what each baseline is, and what the figures led to."""

BASELINES = [
    "P1: a SQLAlchemy Core `insert(activity)` of the same row (same columns and values), one "
    "`engine.begin()` transaction per row, or 1,000 rows per transaction as one executemany. "
    "Beacon: `record_activity(...)` per row (validation, commit, the committed signal) and "
    "`record_many(...)` for 1,000.",
    "P2: `HINCRBY job progress 1` on the Redis client of Beacon's own job store (same connection "
    "pool, same socket), one round trip each. Beacon: `status.progress.increment()` on a working "
    "job of a user, unthrottled, with the notification center and admin listeners connected as "
    "in the app. The throttled row counts the store writes of 10,000 increments paced over one "
    "second with `throttle_interval=0.1`; its baseline is the most writes one per interval "
    "allows in that time (floor(T / 0.1) + 1); the job's final flush is not counted, and every "
    "increment is stored (checked).",
    "P3: a Huey task (registered on Beacon's Huey instance, same storage) that enqueues the next "
    "task of its chain, 10 chains of 10; Beacon: 10 operations of 10 no-op actions. Both driven "
    "by the same loop in one thread (`huey.dequeue()` + `huey.execute()` until the queue is "
    "empty), so the figure is the work per step, without consumer polling delays.",
    "P4: a thread inside the same web server process (`flask beacon run --no-consumer`, started "
    "as its own process) emits a `bench_raw` event of the same size as an `activity` item "
    "straight to each user's session, with the call the fan-out itself uses "
    "(`server.emit(..., to=sid, ignore_queue=True)`), paced at the same rate over the same 200 "
    "connected python-socketio clients (one client process, threads). Beacon: a separate "
    "producer process with the app (as a consumer has it, 4 worker threads) calls "
    "`record_activity` at that rate, and the time runs from just before that call to receipt. "
    "Latency = receipt time − the send time carried in the event (one machine, one clock).",
    "P5: the same statement written by hand as SQL text (the page's columns and each row's read "
    "flag from the read cursor and marks), executed through the same session and fetched. "
    "Beacon: `page_rows`, the statement `feed_page` runs, built by the feed module.",
    "P6: each task's newest success and newest error looked up by hand, one SQL statement per "
    "lookup (2,000 statements). The goal is about Beacon's own figure: one query, p99 ≤ 50 ms.",
]

#: Why a goal can be missed, by figure: written out only for figures with a missed row.
MISSES = {
    "P1": "P1: a standalone `record_activity` pays for validation, the committed signal and its "
    "receivers (the notification fan-out's wake-up) on top of the insert; the ratio moves "
    "around 0.8 to 1.1 from run to run on this shared machine.",
    "P2": "P2, unthrottled increment: what is left is one round trip like the baseline's, the "
    "Lua script's work in Redis (about 15 µs against HINCRBY's 3 µs, from `INFO "
    "commandstats`) and Beacon's Python around it; the ratio moves around 0.5 to 0.6 from run "
    "to run. At 0.1 s throttling (the documented default) an increment makes no round trip.",
    "P3": "P3, an action step: a step is two transactions on the application database, and "
    "the guarantees need both. The claim (the operation marked running, the lease taken by a "
    "conditional UPDATE, the operation's actions read) commits before the action runs, so two "
    "consumers never run it at once, a duplicate or stale task does nothing, and a dead "
    "consumer's action is resumed; the completion (the action, the next-action pointer, the "
    "next action's start deadline, the step's activity) commits before the next task is "
    "enqueued, so a completed action never runs again. That is 7 statements and 2 commits "
    "(counted with a cursor event) on top of the queue's own enqueue and dequeue, which are "
    "all a raw Huey round trip does: on SQLite each commit alone costs about what a third of "
    "the raw round trip does, and SQLAlchemy's execution of a prebuilt statement about 60 µs, "
    "so twice a 0.5 ms queue round trip is below the floor of this work. On PostgreSQL the "
    "step makes about 11 round trips to the database besides the queue's 2 to Redis.",
    "P4": "P4, delivery: the baseline emits from memory inside the server; Beacon's path "
    "commits the row in another process, wakes the server (Redis hint, or the WAL watch), "
    "reads the new rows, their read flags and the unread counts, then emits. Those "
    "milliseconds are the delivery guarantee (every committed row, exactly once, in order, "
    "across restarts), so 1.5 × a sub-millisecond in-memory emit is not reachable. The p99 "
    "suffers most from the machine being shared: the three processes, PostgreSQL and Redis "
    "compete with other engineers' test suites for two cores, and on PostgreSQL the "
    "producer's four threads fall short of 500 commits/s (so 1,000/s was not attempted).",
}

FIXES = [
    "Numbers before and after each fix were measured with the benchmark on this machine while "
    "it was shared (load average 2 to 9), so they show the size of each change, not exact "
    "figures.",
    "",
    "- **P1, record_activity and record_many** (profiled with cProfile: the ORM constructor's "
    "attribute events, the session's transaction bookkeeping, the value encoded to JSON twice, "
    "the wire dicts built for every row). Now a standalone record takes a short transaction of "
    "its own on a pooled connection (the session's is used whenever it has one open or has "
    "changes), the value is encoded once and bound as JSON text, the returned `Activity` is "
    "built detached without constructor events, and the `activity_committed` signal builds "
    "wire dicts only when a receiver reads them. Ratios before → after (SQLite / PostgreSQL, "
    "one run each on the loaded machine): one per transaction 0.62 / 0.74 → 0.83 / 0.81; "
    "1,000 per transaction 0.68 / 0.71 → 0.82 / 0.96.",
    "- **P2, unthrottled progress** (0.22 of HINCRBY before; profiled with cProfile and "
    "Redis's `INFO commandstats`). Each increment made three round trips: the Lua write (which "
    "decoded a JSON document of options in Redis and made up to ten calls), a read back of the "
    "whole hash for the announcement, and the announcement's publishes (notification hint, "
    "admin emit). Now writes of progress alone are each stored but announced at most every "
    "0.1 s per status (the latest always: a timer, or the flush at the job's end): 0.22 → "
    "0.38; the script takes plain arguments and skips calls a write does not need (server "
    "time 41 → about 15 µs): → 0.47; and its scalars travel as one header argument, since "
    "packing 16 arguments cost the client four times HINCRBY's 4: → 0.53-0.58.",
    "- **P3, action step** (before, idle machine: 6.21 ms against 0.42 ms, ratio 14.7, on "
    "SQLite; 11.2 ms against 1.92 ms, 5.8, on PostgreSQL+Redis; cProfile: 7,700 Python calls "
    "per step, most of them building ORM statements and loading `Operation` and `Action` "
    "objects: 12 statements and 4 commits per step besides the queue's). The claim and the "
    "completion now run prebuilt Core statements (two conditional UPDATEs and one read; three "
    "UPDATEs and the activity INSERT), each in one transaction on a pooled connection of its "
    "own (`write_transaction`), not through the session's bookkeeping; the completion chooses "
    "the next action from the list the claim read (no other action of the operation can "
    "change while the lease is held). On PostgreSQL the claim's COMMIT does not wait for the "
    "disk (`synchronous_commit` off for that transaction alone: a claim lost in a database "
    "crash leaves the action pending and the reaper runs it, as after a dead consumer; the "
    "completion stays durable). An operation's live admin updates (two per step, each a "
    "message-queue publish with Redis) go out at most every 0.1 s per operation, the latest "
    "always. 7,700 → 1,770 calls per step; SQLite 6.21 → 2.09-2.27 ms (ratio 14.7 → "
    "4.0-4.4), PostgreSQL+Redis 11.2 → 5.1-6.1 ms (5.8 → 2.7-3.2), two runs with other work "
    "on the machine.",
    "- **P4, delivery** (py-spy on the web server: its fan-out thread held the GIL nearly all "
    "the time, 35 % counting unread items, 26 % reading read flags, 24 % polling jobs, one "
    "query per user each). Before: p50 789 ms / p99 1,329 ms on SQLite and 1,365 / 2,730 ms "
    "on PostgreSQL+Redis (where one producer thread managed only 133 commits/s). Now cursors, "
    "read marks and unread counts are read for a whole batch in one query each, unfinished "
    "jobs in two listings, and without Redis the fan-out watches the SQLite write-ahead log "
    "every 5 ms instead of waiting for its 50 ms poll (p50 789 → 64 → 33 ms on a loaded "
    "machine, before the final run).",
    "- **P5, feed page** (before: p50 3.6 ms, ratio 11.3 on SQLite; 7.0 ms, 8.9 on "
    "PostgreSQL; p99 30 ms). The page was an ORM query plus two more for read flags, built "
    "anew each call. Now it is one Core statement with the read flag joined in, built once "
    "with bound parameters (p50 0.54 ms, ratio 1.46 on SQLite; 0.65 ms, 0.90 on PostgreSQL).",
    "- **P5 on SQLite, decoding** (after the fix above the ratio was still 1.52 / 1.55, newest "
    "50 / keyset, p50 0.56 ms against 0.36 ms; cProfile: per row, about 1.4 µs to turn the "
    "stored time into an aware datetime, the SQLite type's regular expressions then "
    "`datetime.replace(tzinfo=...)`, which alone costs about 1 µs on this Python, and 1.3 µs "
    "to decode the JSON value through four Python frames). Now `UTCDateTime` reads SQLite's "
    "text in one step (`fromisoformat` of the text with `+00:00` appended, 0.15 µs; anything "
    "else falls back to the generic path) and every engine decodes JSON with `loads_json`, "
    "which looks up `true`, `false` and `null` before parsing (psycopg's JSONB loader gets it "
    "too: 20,000 such values load in 24 ms instead of 65). Same values on both backends. "
    "Ratio on SQLite 1.52 / 1.55 → 1.09-1.17 / 1.09-1.15 (p50 0.39-0.43 ms against "
    "0.34-0.38 ms, three runs); PostgreSQL 1.07 / 1.10 → 1.06-1.17 / 1.07-1.20 (unchanged "
    "within noise). The p99 on "
    "both fell from about 3 ms to under 1 ms with the heap fix under P6.",
    "- **P6, health overview** (before: p50 110 ms / p99 284 ms on SQLite, 91 / 285 ms on "
    "PostgreSQL). The query was fine (index lookups, about 15 ms); building 2,000 `Activity` "
    "objects was not. It now reads the five columns it reports into small `Outcome` records, "
    "looks up the ids before joining the rows, and builds its statement once per dialect "
    "with the names as one bound parameter (p50 110 → about 30 ms on SQLite).",
    "- **P6, p99** (then: p50 29.6 / p99 99.9 ms on SQLite, 40.5 / 99.2 ms on PostgreSQL, idle "
    "machine; goal p99 ≤ 50 ms). Two causes. (1) The query still made 2,000 index descents "
    "and 2,000 row fetches in a 1,200,000-row log. Now the table `periodic_outcome` holds each "
    "task's newest success and newest error (id, time, key, message), kept by triggers on "
    "`activity` in the transaction that inserts the activity (an upsert that only moves to a "
    "newer id; a delete by retention of the row it copies falls back to the newest one left) "
    "and filled by migration 0008 from the existing log; `overview()` reads its 2,000 rows in "
    "one query into named tuples. The triggers "
    "fire only for periodic task outcomes; for other rows SQLite measured about 1 µs more per "
    "inserted row in a bare executemany, and P1's ratios stayed at 0.88-1.04. The bench's "
    "dataset fills it the way a deployment does (its bulk load fires the triggers), and P6 "
    "checks `overview()` against the 2,000 lookups in the log. (2) Full garbage collections: "
    "`gc.collect()` took 30-280 ms (the machine's load decides) for the ~128,000 objects an "
    "imported, created app holds (SQLAlchemy, Flask, Socket.IO, the models), one every 20-30 "
    "calls (timed with `gc.callbacks`); they stalled P5's p99 too. `flask beacon run` now "
    "calls `settle_heap()` (`gc.collect()` + `gc.freeze()`) once the server has started, "
    "and the bench's dataset app does the same once loaded: full collections now take "
    "0.3-2.7 ms. After (three runs, load average 1 to 8): SQLite p50 6.1-9.3 ms / p99 "
    "7.7-34 ms (34 on a run where the raw feed query's own p99 jumped to 12 ms); "
    "PostgreSQL 8.8-11.2 / 11-17 ms; with the collector paused, p99 5.8-6.8 / 12.6-19.2 ms.",
]
