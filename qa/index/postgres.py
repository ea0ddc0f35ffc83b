"""The PostgreSQL backend: pgvector HNSW for dense search, full-text search (tsvector + GIN) for keywords.

Any number of processes (app replicas, ``qa`` commands) share one database. Writers take an
advisory lock, so two ``qa index`` at once run one after the other; each update is one
transaction, so readers see the index before or after it, and a killed ``qa index`` leaves the
previous state. The schema is made on first use (``CREATE EXTENSION IF NOT EXISTS vector``),
recorded in ``qa_schema``; a server without pgvector gets a message saying so.

    >>> store = PostgresStore("postgresql://qa@db.internal/qa")   # doctest: +SKIP
    >>> store.keyword_search("Who met Macron?", 2)               # doctest: +SKIP
    [('c90efc5142c899d5-9f86d08a6c1b4e2f-4', 0.42), ...]
    >>> describe("postgresql://qa:secret@db.internal:6432/qa")
    "database 'qa' on db.internal:6432 as user 'qa'"

Tables: ``qa_documents`` (source, content hash), ``qa_passages`` (text, offsets, ``vector(384)``
embedding, generated ``tsvector``), ``qa_meta`` (settings fingerprint, corpus signature, skipped
files, generation), ``qa_schema`` (version).
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict

import numpy as np

from qa.index.base import Changes, DatabaseUnavailable, IndexMeta, StoredDocument, StoreStatus
from qa.ingest.files import Skipped
from qa.types import Passage

SCHEMA_VERSION = 1
DIM = 384
WRITE_LOCK = 0x71615F696E646578  # pg_advisory_lock key of writers ("qa_index")
SCHEMA_LOCK = WRITE_LOCK + 1
HNSW_M = 16  # pgvector's defaults; see the README's PostgreSQL section
HNSW_EF_CONSTRUCTION = 64
HNSW_EF_SEARCH = 200
CONNECT_TIMEOUT_S = 5
TEXT_SEARCH_CONFIG = "english"  # Snowball English stemming and stop words, like the local BM25

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS qa_schema (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS qa_meta (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS qa_documents (
    source text PRIMARY KEY,
    content_hash text NOT NULL,
    passages integer NOT NULL,
    indexed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS qa_passages (
    id text PRIMARY KEY,
    source text NOT NULL REFERENCES qa_documents (source) ON DELETE CASCADE,
    ordinal integer NOT NULL,
    start_char integer NOT NULL,
    end_char integer NOT NULL,
    text text NOT NULL,
    heading text NOT NULL DEFAULT '',
    page integer,
    embedding vector({DIM}) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('{TEXT_SEARCH_CONFIG}', heading || ' ' || text)) STORED
);
CREATE INDEX IF NOT EXISTS qa_passages_source ON qa_passages (source, ordinal);
CREATE INDEX IF NOT EXISTS qa_passages_tsv ON qa_passages USING gin (tsv);
CREATE INDEX IF NOT EXISTS qa_passages_embedding ON qa_passages
    USING hnsw (embedding vector_ip_ops) WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION});
"""

KEYWORD_BUDGET = 1000  # passages ts_rank may score per question, by PostgreSQL's statistics (see choose_terms)
STATS_TTL_S = 60.0  # how long a process keeps the table's word statistics before reading them again

DENSE_SQL = "SELECT id, -(embedding <#> %s::vector) FROM qa_passages ORDER BY embedding <#> %s::vector LIMIT %s"
TERMS_SQL = f"SELECT tsvector_to_array(to_tsvector('{TEXT_SEARCH_CONFIG}', %s))"  # the question's stems
# ANALYZE's most common lexemes of the tsvector column, with the share of rows holding each; the
# array of shares ends with three more numbers: the least and most common share, and nulls
STATS_SQL = """
SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = 'tsv'
WHERE n.nspname = current_schema() AND c.relname = 'qa_passages'
"""
# passages holding any of the chosen stems (found through the GIN index), ranked by every stem of
# the question, so that a commoner word still tells those candidates apart. Stems are ORed
# (plainto_tsquery would AND them; a passage rarely holds them all); 'simple' keeps them as they are.
KEYWORD_SQL = """
SELECT id, ts_rank(tsv, q.ranked) AS score
FROM qa_passages, (SELECT replace(plainto_tsquery('simple', %s)::text, '&', '|')::tsquery AS found,
                          replace(plainto_tsquery('simple', %s)::text, '&', '|')::tsquery AS ranked) q
WHERE tsv @@ q.found
ORDER BY score DESC, id
LIMIT %s
"""
PASSAGE_COLUMNS = "id, source, start_char, end_char, text, heading, page"


class PgvectorMissing(DatabaseUnavailable):
    """The database has no pgvector extension, and this user can't create it."""


def describe(url: str) -> str:
    """The database a URL names, for people: database, host (or socket folder), port and user, never the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed URL: say so without echoing it (it may hold a password)
        return "the database of QA_DATABASE_URL (the URL can't be parsed)"
    host = info.get("host") or info.get("hostaddr") or "the default local socket"
    where = f"{host}:{info['port']}" if info.get("port") else host
    user = f" as user {info['user']!r}" if info.get("user") else ""
    return f"database {info.get('dbname') or info.get('user') or 'postgres'!r} on {where}{user}"


def choose_terms(stems: list[str], rows: float, share: dict[str, float], least: float,
                 budget: int = KEYWORD_BUDGET) -> list[str]:
    """The question's stems that choose the passages to rank: the rarest first, as long as the
    passages they match (``rows`` x each stem's ``share`` of them, ``least`` for a stem too rare to
    be counted) stay within ``budget``; always at least the rarest one. Every stem still counts in
    the ranking of those passages.

    ``ts_rank`` scores every passage a word matches, so a word in most passages ("born", "said")
    would cost a score per passage of the corpus (about 0.1 s per 10,000 passages); a passage that
    holds only such words, and none of the rarer ones, is seldom the answer (BM25 gives those words
    almost no weight). Below ``budget`` passages nothing is left out.

    >>> choose_terms(["born", "town", "ulla"], 10_000, {"born": 1.0, "town": 0.05}, 0.001)
    ['ulla', 'town']
    >>> choose_terms(["born", "town"], 500, {"born": 1.0, "town": 1.0}, 0.01)
    ['born', 'town']
    """
    if rows <= budget:
        return list(stems)
    chosen, expected = [], 0.0
    for stem in sorted(stems, key=lambda w: (share.get(w, least), w)):
        matched = rows * share.get(stem, least)
        if chosen and expected + matched > budget:
            break
        chosen.append(stem)
        expected += matched
    return chosen


def _vector(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(v, np.float32).ravel().tolist()) + "]"


def _passage(row) -> Passage:
    pid, source, start, end, text, heading, page = row
    return Passage(pid, source, start, end, text, heading, page=page)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class PostgresStore:
    """The :class:`~qa.index.base.PassageStore` in a PostgreSQL database with pgvector.

    One connection per store for reading (shared by threads, one statement at a time); updates
    use their own connection, holding the writers' advisory lock. A lost connection is replaced
    on the next call, so the same process answers again once the database is back.
    """

    backend = "postgresql"

    def __init__(self, url: str, schema: str = "public", ef_search: int = HNSW_EF_SEARCH,
                 keyword_budget: int = KEYWORD_BUDGET) -> None:
        self.url = url
        self.schema = schema
        self.where = describe(url) + (f", schema {schema!r}" if schema != "public" else "")
        self.ef_search = ef_search
        salt = zlib.crc32(schema.encode()) << 8  # each schema is an index of its own, with its own locks
        self.write_lock, self.schema_lock = WRITE_LOCK ^ salt, SCHEMA_LOCK ^ salt
        self._conn = None
        self._lock = threading.RLock()
        self._writer = None  # the connection holding the advisory lock, inside writing()
        self.keyword_budget = keyword_budget
        self._stats = None  # (when read, _word_stats' figures)

    # -------------------------------------------------------------- connections

    def _unavailable(self, exc: BaseException) -> DatabaseUnavailable:
        reason = _first_line(exc)
        try:
            from psycopg.conninfo import conninfo_to_dict

            password = conninfo_to_dict(self.url).get("password")
            if password:
                reason = reason.replace(password, "***")
        except Exception:  # noqa: BLE001
            pass
        return DatabaseUnavailable(
            f"Cannot use the index {self.where}: {reason}. Check that PostgreSQL is running and accepts "
            "connections there, and that QA_DATABASE_URL (or --database-url) gives the right host, port, "
            "database, user and password.")

    def connect(self):
        """A new connection with the schema in place (made on first use). Raises :class:`DatabaseUnavailable`."""
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                   application_name="articleqa")
        except psycopg.Error as exc:
            raise self._unavailable(exc) from exc
        except Exception as exc:  # noqa: BLE001 - e.g. a malformed URL (ProgrammingError is a psycopg.Error)
            raise self._unavailable(exc) from exc
        try:
            conn.execute(f"SET hnsw.ef_search = {int(self.ef_search)}")
            if self.schema != "public":
                from psycopg import sql

                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            self._set_search_path(conn)
            self._ensure_schema(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _set_search_path(self, conn) -> None:
        """Our schema first (tables are made there), ``public``, then the schema holding pgvector.

        The extension lives in one schema of the database: the one it was created in (the first
        collection's, or one an administrator chose, such as ``extensions``), which every other
        collection's connections must see too. Our own tables always exist before anything reads
        them (:meth:`_ensure_schema` looks for them in our schema only), so another collection's
        tables on the path are never used."""
        from psycopg import sql

        row = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                           "WHERE e.extname = 'vector'").fetchone()
        path = list(dict.fromkeys([self.schema, "public", *(row or ())]))
        conn.execute(sql.SQL("SET search_path = {}").format(sql.SQL(", ").join(map(sql.Identifier, path))))

    def _ensure_schema(self, conn) -> None:
        import psycopg

        from psycopg import sql

        version_sql = sql.SQL("SELECT max(version) FROM {}.qa_schema").format(sql.Identifier(self.schema))
        row = None
        try:
            row = conn.execute(version_sql).fetchone()  # ours only: another schema's would be on the path
        except psycopg.errors.UndefinedTable:
            pass
        except psycopg.OperationalError as exc:
            raise self._unavailable(exc) from exc
        if row and row[0] is not None:
            self._check_version(row[0])
            return
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.schema_lock,))
                try:
                    with conn.transaction():
                        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                except psycopg.errors.OperationalError:
                    raise
                except psycopg.Error as exc:
                    raise PgvectorMissing(
                        f"The {self.where} has no pgvector extension ({_first_line(exc)}). Install pgvector on the "
                        "PostgreSQL server (Debian: postgresql-<version>-pgvector; managed services: enable the "
                        "'vector' extension), or have an administrator run CREATE EXTENSION vector in it.") from exc
                self._set_search_path(conn)  # the extension may have existed in another schema
                conn.execute(SCHEMA)
                version = conn.execute(version_sql).fetchone()[0]
                if version is None:
                    conn.execute("INSERT INTO qa_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
                else:
                    self._check_version(version)
        except psycopg.OperationalError as exc:
            raise self._unavailable(exc) from exc

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise DatabaseUnavailable(
                f"The {self.where} holds an index of schema version {version}, made by a newer articleqa "
                f"(this one knows version {SCHEMA_VERSION}). Upgrade articleqa, or use another database.")

    def _run(self, fn):
        """``fn(connection)`` on the shared reading connection; reconnects once if it was lost."""
        import psycopg

        with self._lock:
            for attempt in (0, 1):
                fresh = self._conn is None or self._conn.closed
                if fresh:
                    self._conn = self.connect()
                try:
                    return fn(self._conn)
                except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                    self._drop()
                    if fresh or attempt:  # a new connection failed too: the database is down
                        raise self._unavailable(exc) from exc

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # ------------------------------------------------------------------ reading

    def open(self) -> None:
        self._run(lambda conn: None)

    def dense_search(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        v = _vector(vector)
        rows = self._run(lambda c: c.execute(DENSE_SQL, (v, v, int(n))).fetchall())
        return [(pid, float(score)) for pid, score in rows]

    def keyword_search(self, query: str, n: int) -> list[tuple[str, float]]:
        def run(c):
            stems = c.execute(TERMS_SQL, (query,)).fetchone()[0] or []
            terms = choose_terms(stems, *self._word_stats(c), budget=self.keyword_budget)
            return c.execute(KEYWORD_SQL, (" ".join(terms), " ".join(stems), int(n))).fetchall() if terms else []

        return [(pid, float(score)) for pid, score in self._run(run) if score > 0]

    def _word_stats(self, conn) -> tuple[float, dict[str, float], float]:
        """(passages, share of passages per common stem, share of the least common counted), from
        PostgreSQL's own statistics (ANALYZE; autovacuum keeps them current), read at most once a minute.
        Without statistics yet: (0, {}, 0), and every stem is searched."""
        now = time.monotonic()
        if self._stats is None or now - self._stats[0] > STATS_TTL_S:
            row = conn.execute(STATS_SQL).fetchone()
            rows, elems, freqs = row if row else (0, None, None)
            if not elems or not freqs or rows is None or rows <= 0:
                stats = (0.0, {}, 0.0)
            else:
                stats = (float(rows), dict(zip(elems, map(float, freqs))), float(freqs[len(elems)]))
            self._stats = (now, stats)
        return self._stats[1]

    def passages(self, ids: Sequence[str]) -> list[Passage]:
        ids = list(ids)
        if not ids:
            return []
        rows = self._run(lambda c: c.execute(f"SELECT {PASSAGE_COLUMNS} FROM qa_passages WHERE id = ANY(%s)",
                                             (ids,)).fetchall())
        found = {r[0]: _passage(r) for r in rows}
        return [found[i] for i in ids if i in found]

    def similarity(self, ids: Sequence[str], vector: np.ndarray) -> dict[str, float]:
        ids = list(ids)
        if not ids:
            return {}
        v = _vector(vector)
        rows = self._run(lambda c: c.execute("SELECT id, -(embedding <#> %s::vector) FROM qa_passages "
                                             "WHERE id = ANY(%s)", (v, ids)).fetchall())
        return {pid: float(s) for pid, s in rows}

    def documents(self) -> dict[str, StoredDocument]:
        rows = self._run(lambda c: c.execute("SELECT source, content_hash, passages FROM qa_documents").fetchall())
        return {src: StoredDocument(src, h, n) for src, h, n in rows}

    def meta(self) -> IndexMeta:
        rows = dict(self._run(lambda c: c.execute("SELECT key, value FROM qa_meta").fetchall()))
        if "fingerprint" not in rows:
            return IndexMeta()
        return IndexMeta(rows["fingerprint"], rows.get("signature") or {},
                         [Skipped(**x) for x in rows.get("skipped") or []], int(rows.get("generation") or 0))

    def iter_passages(self) -> Iterator[Passage]:
        rows = self._run(lambda c: c.execute(f"SELECT {PASSAGE_COLUMNS} FROM qa_passages "
                                             "ORDER BY source, ordinal").fetchall())
        for r in rows:
            yield _passage(r)

    def status(self) -> StoreStatus:
        def query(c):
            docs, passages = c.execute("SELECT (SELECT count(*) FROM qa_documents), "
                                       "(SELECT count(*) FROM qa_passages)").fetchone()
            size = c.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN "
                             "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r' "
                             "AND c.relname LIKE 'qa\\_%%'", (self.schema,)).fetchone()[0]
            return int(docs), int(passages), int(size)

        docs, passages, size = self._run(query)
        dense = (f"pgvector HNSW (m {HNSW_M}, ef_construction {HNSW_EF_CONSTRUCTION}, ef_search {self.ef_search}), "
                 "inner product")
        return StoreStatus(self.backend, self.where, docs, passages, size, dense, self.meta().generation)

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """Every passage id and its stored embedding (for measuring recall against exact search)."""
        rows = self._run(lambda c: c.execute("SELECT id, embedding::text FROM qa_passages ORDER BY id").fetchall())
        if not rows:
            return [], np.zeros((0, DIM), np.float32)
        return [r[0] for r in rows], np.array([json.loads(r[1]) for r in rows], np.float32)

    # ------------------------------------------------------------------ writing

    @contextmanager
    def writing(self):
        """Hold the writers' advisory lock (waiting for another ``qa index`` to finish) on a connection of its own."""
        import psycopg

        conn = self.connect()
        try:
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (self.write_lock,))
            except psycopg.OperationalError as exc:
                raise self._unavailable(exc) from exc
            self._writer = conn
            yield self
        finally:
            self._writer = None
            try:
                conn.close()  # ends the session: the advisory lock goes with it
            except Exception:  # noqa: BLE001
                pass

    def apply(self, changes: Changes) -> None:
        """One transaction: drop the replaced and removed documents (their passages go with them), insert
        the new ones, record the corpus. Readers see all of it at commit, or none if it never commits."""
        import psycopg

        conn = self._writer or self.connect()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.write_lock,))
                if changes.replace_all:
                    conn.execute("DELETE FROM qa_documents")  # not TRUNCATE: readers keep reading meanwhile
                else:
                    gone = sorted(set(changes.removals) | {d.source for d in changes.upserts})
                    if gone:
                        conn.execute("DELETE FROM qa_documents WHERE source = ANY(%s)", (gone,))
                with conn.cursor() as cur:
                    cur.executemany("INSERT INTO qa_documents (source, content_hash, passages) VALUES (%s, %s, %s)",
                                    [(d.source, d.content_hash, len(d.passages)) for d in changes.upserts])
                    with cur.copy("COPY qa_passages (id, source, ordinal, start_char, end_char, text, heading, "
                                  "page, embedding) FROM STDIN") as copy:
                        for d in changes.upserts:
                            for i, (p, v) in enumerate(zip(d.passages, d.vectors)):
                                copy.write_row((p.id, p.source, i, p.start, p.end, p.text, p.heading, p.page,
                                                _vector(v)))
                    generation = cur.execute("SELECT value FROM qa_meta WHERE key = 'generation'").fetchone()
                    meta = {
                        "fingerprint": changes.fingerprint,
                        "signature": changes.signature,
                        "skipped": [asdict(x) for x in changes.skipped],
                        "generation": (int(generation[0]) if generation else 0) + 1,
                    }
                    cur.executemany("INSERT INTO qa_meta (key, value) VALUES (%s, %s::jsonb) "
                                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                                    [(k, json.dumps(v)) for k, v in meta.items()])
                    added = sum(len(d.passages) for d in changes.upserts)
                    total = cur.execute("SELECT count(*) FROM qa_passages").fetchone()[0]
                    if changes.replace_all or added * 10 > total:  # smaller changes: autovacuum's ANALYZE
                        cur.execute("ANALYZE qa_passages")
            self._stats = None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise self._unavailable(exc) from exc
        finally:
            if conn is not self._writer:
                conn.close()
