"""Job statuses in Redis: a hash per job, ``{prefix}job:{id}``, that expires by itself.

Every write is one Lua script call (one round trip, atomic): fields are set with HSET one by
one, progress moves with HINCRBY, and the TTL is renewed. Custom fields are ``f:<name>``
holding JSON. Three sorted sets index the hashes: ``{prefix}jobs:recent`` and
``{prefix}jobs:owner:{id}`` (by enqueue time, for listings) and ``{prefix}jobs:working`` (the
leases: score = last heartbeat). Index entries of expired hashes are dropped when a listing
meets them and by ``purge``.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import redis

from webapp.durations import BOUNDS, Distribution
from webapp.jobs.search import SEARCH_UNAVAILABLE, ArgumentSearch, SearchUnavailable
from webapp.jobs.store import (
    FINISHED,
    GUARDS,
    STATUSES,
    JobStore,
    JobSummary,
    Record,
    Write,
    empty_record,
)

# ARGV: id, a header "now ttl increment flags lease owner" (six words, "-" for an empty one),
# task, task_data, then three counted lists (left out when all are empty): fields to set
# (name, value pairs), fields to delete, fields to keep (pairs). Flags: c = create only,
# q / w / o = only if the status is queued / working / not finished (the write guards),
# a = one more attempt, r = rebase the rate, d = store task_data, R = return the record.
# Few plain arguments, not a JSON document: a progress write is the hot path, decoding JSON
# in Lua cost more than the rest of the script, and packing each argument costs the client.
WRITE = """
local FINISHED = {FINISHED_TABLE}
local key, recent, working, owner = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, task = ARGV[1], ARGV[3]
local now, ttl, incr, flags, lease, owner_id =
  string.match(ARGV[2], '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
incr = tonumber(incr)
if flags == '-' then flags = '' end
if lease == '-' then lease = '' end
if owner_id == '-' then owner_id = '' end
local ttl_ms = math.max(1, math.floor(tonumber(ttl) * 1000))
local function flag(f) return string.find(flags, f, 1, true) ~= nil end
local i = 5
local nset = tonumber(ARGV[i] or '0')
local set_from, set_to = i + 1, i + nset
i = set_to + 1
local nunset = tonumber(ARGV[i] or '0')
local unset_from, unset_to = i + 1, i + nunset
i = unset_to + 1
local nkeep = tonumber(ARGV[i] or '0')
-- Whether the hash exists is asked only when it matters before anything is written.
local existed = nil
if flag('c') or nkeep > 0 then existed = redis.call('EXISTS', key) == 1 end
if existed and flag('c') then return false end
if flag('q') or flag('w') or flag('o') then
  local status = redis.call('HGET', key, 'status')
  if flag('q') and status ~= 'queued' then return false end
  if flag('w') and status ~= 'working' then return false end
  if flag('o') and status and FINISHED[status] then return false end
end
-- The task is never stored empty, so "set it where unset" is HSETNX.
if task ~= '' then redis.call('HSETNX', key, 'task', task) end
if owner_id ~= '' then redis.call('HSETNX', key, 'owner_id', owner_id) end
for k = i + 1, i + nkeep, 2 do redis.call('HSETNX', key, ARGV[k], ARGV[k + 1]) end
-- Every write that creates a hash sets enqueued_at: setting it here means the job is new.
local stamped = redis.call('HSETNX', key, 'enqueued_at', now) == 1
local created = existed == false or (existed == nil and stamped)
if nset > 0 then
  redis.call('HSET', key, 'updated_at', now, 'expires_in', ttl, unpack(ARGV, set_from, set_to))
else
  redis.call('HSET', key, 'updated_at', now, 'expires_in', ttl)
end
if nunset > 0 then redis.call('HDEL', key, unpack(ARGV, unset_from, unset_to)) end
if incr ~= 0 then redis.call('HINCRBY', key, 'progress', incr) end
if flag('a') then redis.call('HINCRBY', key, 'attempts', 1) end
if flag('r') then
  redis.call('HSET', key, 'rate_since', now,
             'rate_base', redis.call('HGET', key, 'progress') or '0')
end
if flag('d') then redis.call('HSET', key, '_task', ARGV[4]) end
if lease == 'take' then redis.call('ZADD', working, now, id)
elseif lease == 'drop' then redis.call('ZREM', working, id) end
if created then
  local score = redis.call('HGET', key, 'enqueued_at')
  redis.call('ZADD', recent, 'NX', score, id)
  if owner_id ~= '' then redis.call('ZADD', owner, 'NX', score, id) end
end
redis.call('PEXPIRE', key, ttl_ms)
if flag('R') then return redis.call('HGETALL', key) end
return 1
""".replace("{FINISHED_TABLE}", "{" + ", ".join(f"{s} = true" for s in sorted(FINISHED)) + "}")

# The claim of one reaper: only the caller that removes the lease marks the job interrupted.
INTERRUPT = """
local key, working = KEYS[1], KEYS[2]
local id, before, now = ARGV[1], ARGV[2], ARGV[3]
local beat = redis.call('ZSCORE', working, id)
if not beat then return false end
if before ~= '' and tonumber(beat) >= tonumber(before) then return false end
redis.call('ZREM', working, id)
if redis.call('HGET', key, 'status') ~= 'working' then return false end
redis.call('HSET', key, 'status', 'interrupted', 'finished_at', now, 'updated_at', now)
local ttl = tonumber(redis.call('HGET', key, 'expires_in') or '0')
if ttl > 0 then redis.call('PEXPIRE', key, math.max(1, math.floor(ttl * 1000))) end
return redis.call('HGETALL', key)
"""

# A page of ``summary``: KEYS are job hashes, ARGV[1] the window's start (epoch seconds).
# Returns {state, count, state, count...} and {task, seconds, task, seconds...} of the jobs
# completed since then (seconds as text: Redis would cut a Lua number to an integer). Read in
# Redis, a page is one round trip with little to parse: 20,000 jobs took 215 ms (about 2 ms of
# Redis's time per call of 250), against 470 ms read as pipelined HMGETs parsed in Python.
SUMMARY = """
local after = tonumber(ARGV[1])
local counts, took = {}, {}
for _, key in ipairs(KEYS) do
  local f = redis.call('HMGET', key, 'status', 'task', 'started_at', 'finished_at')
  if f[1] then
    counts[f[1]] = (counts[f[1]] or 0) + 1
    if f[1] == 'completed' and f[3] and f[4] and tonumber(f[4]) >= after then
      took[#took + 1] = f[2] or ''
      took[#took + 1] = string.format('%.6f', tonumber(f[4]) - tonumber(f[3]))
    end
  end
end
local flat = {}
for state, n in pairs(counts) do flat[#flat + 1] = state; flat[#flat + 1] = n end
return {flat, took}
"""

# Retention: delete the hashes of these jobs that are still finished before a time, with their
# index entries. KEYS: recent, working, then each job's hash and its owner's index; ARGV: the
# time (epoch seconds), then each job's id. Checked here, atomically: a job changed since it
# was chosen stays.
PURGE_FINISHED = """
local FINISHED = {FINISHED_TABLE}
local before = tonumber(ARGV[1])
local deleted = 0
for i = 2, #ARGV do
  local key, owner = KEYS[2 * i - 1], KEYS[2 * i]
  local status, finished = unpack(redis.call('HMGET', key, 'status', 'finished_at'))
  if status and FINISHED[status] and finished and tonumber(finished) < before then
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i])
    redis.call('ZREM', owner, ARGV[i])
    deleted = deleted + 1
  end
end
return deleted
""".replace("{FINISHED_TABLE}", "{" + ", ".join(f"{s} = true" for s in sorted(FINISHED)) + "}")

INTS = ("progress", "total", "attempts", "rate_base", "owner_id", "cancelled_by")
TIMES = (
    "enqueued_at",
    "started_at",
    "finished_at",
    "updated_at",
    "cancel_requested_at",
    "rate_since",
)
GUARD_FLAGS = {None: "", "queued": "q", "working": "w", "open": "o"}
SCAN_LIMIT = 10_000  # listings stop after looking at this many index entries
#: Jobs read per script call by ``summary`` (it reads every unexpired status).
SUMMARY_PAGE = 250


def _epoch(value: dt.datetime) -> str:
    return f"{value.timestamp():.6f}"


def _encode(value: Any) -> str:
    return _epoch(value) if isinstance(value, dt.datetime) else str(value)


def _parse(job_id: str, raw: Mapping[bytes, bytes]) -> Record:
    record = empty_record(job_id)
    for key, value in raw.items():
        name = key.decode()
        if name.startswith("f:"):
            record["fields"][name[2:]] = json.loads(value)
        elif name in INTS:
            record[name] = int(value)
        elif name in TIMES:
            record[name] = dt.datetime.fromtimestamp(float(value), dt.UTC)
        elif name == "expires_in":
            record[name] = float(value)
        elif name in ("task", "status"):
            record[name] = value.decode()
    return record


def _pairs(flat: list[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


class RedisStore(JobStore):
    """Statuses in Redis hashes with a TTL (the scaled mode's store)."""

    name = "redis"

    def __init__(self, client: redis.Redis, prefix: str = "beacon:") -> None:
        self.redis = client
        self.prefix = prefix
        self.recent_key = f"{prefix}jobs:recent"
        self.working_key = f"{prefix}jobs:working"
        self._write = client.register_script(WRITE)
        self._interrupt = client.register_script(INTERRUPT)
        self._summary = client.register_script(SUMMARY)
        self._purge_finished = client.register_script(PURGE_FINISHED)

    @classmethod
    def from_url(cls, url: str, prefix: str = "beacon:") -> RedisStore:
        return cls(redis.Redis.from_url(url), prefix)

    def key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def owner_key(self, owner_id: int | None) -> str:
        return f"{self.prefix}jobs:owner:{owner_id if owner_id is not None else '-'}"

    def write(self, job_id: str, change: Write, *, returning: bool = False) -> bool | Record | None:
        flat: list[Any] = []
        unset: list[str] = []
        for name, value in change.values.items():
            if value is None:
                unset.append(name)
            else:
                flat += (name, _encode(value))
        for name, value in change.fields.items():
            flat += (f"f:{name}", json.dumps(value))
        keep: list[str] = []
        for name, value in change.keep.items():
            keep += (name, _encode(value))
        if change.guard not in GUARD_FLAGS:
            raise ValueError(f"unknown write guard {change.guard!r}: expected one of {GUARDS}")
        flags = (
            f"{'c' if change.create_only else ''}{GUARD_FLAGS[change.guard]}"
            f"{'a' if change.attempt else ''}"
            f"{'r' if change.rebase else ''}{'d' if change.task_data is not None else ''}"
            f"{'R' if returning else ''}"
        )
        keys = [
            self.key(job_id),
            self.recent_key,
            self.working_key,
            self.owner_key(change.owner_id),
        ]
        owner = "-" if change.owner_id is None else str(change.owner_id)
        header = (
            f"{_epoch(change.now)} {change.expires_in!s} {change.increment} "
            f"{flags or '-'} {change.lease or '-'} {owner}"
        )
        args: list[Any] = [job_id, header, change.task, change.task_data or b""]
        if flat or unset or keep:
            args += [len(flat), *flat, len(unset), *unset, len(keep), *keep]
        reply = self._write(keys=keys, args=args)
        if not returning:
            return bool(reply)
        return _parse(job_id, _pairs(reply)) if reply else None

    def read_many(
        self, job_ids: Iterable[str], now: dt.datetime | None = None
    ) -> dict[str, Record]:
        # Redis expires hashes itself: ``now`` cannot move that clock.
        ids = list(dict.fromkeys(job_ids))
        if not ids:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.hgetall(self.key(job_id))
        return {
            job_id: _parse(job_id, raw)
            for job_id, raw in zip(ids, pipe.execute(), strict=True)
            if raw
        }

    def list(
        self,
        *,
        owner_id: int | None = None,
        task: str | None = None,
        status: str | None = None,
        limit: int = 50,
        search: ArgumentSearch | None = None,
    ) -> list[Record]:
        if search:
            # A hash per job, read by id: Redis has no way to find one by a value inside it.
            raise SearchUnavailable(SEARCH_UNAVAILABLE)
        index = self.recent_key if owner_id is None else self.owner_key(owner_id)
        found: list[Record] = []
        start = scanned = 0
        page = max(limit, 50)
        while len(found) < limit and scanned < SCAN_LIMIT:
            raws = cast(list[bytes], self.redis.zrevrange(index, start, start + page - 1))
            ids = [raw.decode() for raw in raws]
            if not ids:
                break
            scanned += len(ids)
            records = self.read_many(ids)
            gone = [job_id for job_id in ids if job_id not in records]
            if gone:
                self.redis.zrem(index, *gone)
            start += len(ids) - len(gone)
            found += [  # read_many keeps the order of ``ids``
                r
                for r in records.values()
                if (task is None or r["task"] == task) and (status is None or r["status"] == status)
            ]
        return found[:limit]

    def heartbeat(self, leases: Mapping[str, float], now: dt.datetime) -> None:
        if not leases:
            return
        pipe = self.redis.pipeline(transaction=False)
        stamp = now.timestamp()
        for job_id, ttl in leases.items():
            # XX: renew only leases still held (a finished or retrying job dropped its own).
            pipe.zadd(self.working_key, {job_id: stamp}, xx=True)
            pipe.pexpire(self.key(job_id), max(1, int(ttl * 1000)))
        pipe.execute()

    def cancel_requests(self, job_ids: Iterable[str]) -> set[str]:
        ids = list(job_ids)
        pipe = self.redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.hexists(self.key(job_id), "cancel_requested_at")
        return {job_id for job_id, asked in zip(ids, pipe.execute(), strict=True) if asked}

    def stale(self, before: dt.datetime, limit: int = 100) -> builtins.list[str]:
        ids = self.redis.zrangebyscore(
            self.working_key, "-inf", f"({before.timestamp()}", start=0, num=limit
        )
        return [raw.decode() for raw in cast(list[bytes], ids)]

    def interrupt(
        self, job_id: str, stale_before: dt.datetime | None, now: dt.datetime
    ) -> tuple[Record, bytes | None] | None:
        before = "" if stale_before is None else _epoch(stale_before)
        raw = self._interrupt(
            keys=[self.key(job_id), self.working_key], args=[job_id, before, _epoch(now)]
        )
        if not raw:
            return None
        pairs = _pairs(raw)
        return _parse(job_id, pairs), pairs.get(b"_task")

    def purge(self, now: dt.datetime | None = None) -> int:
        """Drop index entries whose hash has expired (the hashes expire by themselves)."""
        indexes = [self.recent_key, self.working_key]
        indexes += [k.decode() for k in self.redis.scan_iter(f"{self.prefix}jobs:owner:*")]
        removed = 0
        for index in indexes:
            for chunk in _chunks((member for member, _ in self.redis.zscan_iter(index)), 500):
                pipe = self.redis.pipeline(transaction=False)
                for member in chunk:
                    pipe.exists(self.key(member.decode()))
                gone = [m for m, alive in zip(chunk, pipe.execute(), strict=True) if not alive]
                if gone:
                    removed += self.redis.zrem(index, *gone)
        return removed

    def purge_finished(self, before: dt.datetime, batch_size: int = 1000) -> int:
        """One pass over the index of every job reads each one's task, status, finish time and
        owner (the newest failure of a task may be anywhere in it); then the chosen ones are
        deleted ``batch_size`` per script call, each re-checked there."""
        cutoff = before.timestamp()
        newest_failure: dict[str, tuple[float, str]] = {}
        chosen: list[tuple[str, str, str, bool]] = []  # id, task, owner index, failed
        every = self.redis.zscan_iter(self.recent_key, count=batch_size)
        for chunk in _chunks((member for member, _ in every), batch_size):
            ids = list(dict.fromkeys(member.decode() for member in chunk))
            pipe = self.redis.pipeline(transaction=False)
            for job_id in ids:
                pipe.hmget(self.key(job_id), "task", "status", "finished_at", "owner_id")
            for job_id, fields in zip(ids, pipe.execute(), strict=True):
                raw_task, raw_status, raw_finished, raw_owner = fields
                status = raw_status.decode() if raw_status else None
                if status not in FINISHED or raw_finished is None:
                    continue
                task, finished = (raw_task or b"").decode(), float(raw_finished)
                if status == "failed":
                    newest_failure[task] = max(
                        newest_failure.get(task, (finished, job_id)), (finished, job_id)
                    )
                if finished < cutoff:
                    owner = int(raw_owner) if raw_owner else None
                    chosen.append((job_id, task, self.owner_key(owner), status == "failed"))
        doomed = [
            (job_id, owner_index)
            for job_id, task, owner_index, failed in chosen
            if not (failed and newest_failure[task][1] == job_id)
        ]
        deleted = 0
        for batch in _chunks(doomed, batch_size):
            keys = [self.recent_key, self.working_key]
            for job_id, owner_index in batch:
                keys += [self.key(job_id), owner_index]
            args = [repr(cutoff), *(job_id for job_id, _ in batch)]
            deleted += int(self._purge_finished(keys=keys, args=args))
        return deleted

    def summary(
        self, since: dt.datetime, bounds: Sequence[float] = BOUNDS, now: dt.datetime | None = None
    ) -> JobSummary:
        """One pass over the index of every job (hashes expire by themselves, so there is
        nothing to group by in Redis), ``SUMMARY_PAGE`` jobs per script call (``SUMMARY``).
        An entry whose hash has expired is skipped (``purge`` drops it); ``now`` cannot move
        Redis's clock, as in ``read_many``."""
        counts = dict.fromkeys(STATUSES, 0)
        took: dict[str, list[float]] = {}
        start = 0
        while True:
            page = self.redis.zrange(self.recent_key, start, start + SUMMARY_PAGE - 1)
            ids = cast(list[bytes], page)
            if not ids:
                break
            start += len(ids)
            keys = [self.key(raw.decode()) for raw in ids]
            flat, durations = self._summary(keys=keys, args=[_epoch(since)])
            for state, count in zip(flat[::2], flat[1::2], strict=True):
                counts[state.decode()] = counts.get(state.decode(), 0) + int(count)
            for task, seconds in zip(durations[::2], durations[1::2], strict=True):
                took.setdefault(task.decode(), []).append(float(seconds))
        return JobSummary(counts, {name: Distribution.of(v, bounds) for name, v in took.items()})


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
