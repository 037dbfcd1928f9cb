"""The database connection, from the environment: PostgreSQL directly, behind PgBouncer in
transaction pooling mode, or through Django's own psycopg connection pool.

- Directly (the default): a connection per process, kept ``DB_CONN_MAX_AGE`` seconds.
- ``SSI_DB_PGBOUNCER=true``: ``DATABASE_URL`` names a PgBouncer whose ``pool_mode`` is
  ``transaction``. Between two transactions the next statement may reach another server
  connection, so nothing may outlive a transaction on the server: no server-side cursors
  (Django's ``.iterator()`` would otherwise declare a ``WITH HOLD`` cursor and fetch from it in
  later transactions), no prepared statements (psycopg's, named per server connection), no
  session ``SET``, session advisory lock, ``LISTEN`` or temporary table kept past a commit.
  The portal's own code keeps to that (README, *PgBouncer*). Connections to PgBouncer may be
  kept (``DB_CONN_MAX_AGE``: they hold no server connection while idle) and are checked before
  reuse, so a restarted PgBouncer costs no request an error.
- ``SSI_DB_POOL_MAX_SIZE=N``: each process keeps a psycopg pool of up to N connections to
  PostgreSQL (``SSI_DB_POOL_MIN_SIZE``, ``SSI_DB_POOL_TIMEOUT`` seconds to wait for one). The
  pool replaces persistent connections, and is not put in front of PgBouncer: either one pools.
"""

from django.core.exceptions import ImproperlyConfigured

POOL_DEFAULT_MIN_SIZE = 1
# Runs of one query on one connection after which psycopg prepares it (the next run is
# prepared: the second).
PREPARE_THRESHOLD = 1
POOL_DEFAULT_TIMEOUT = 10.0
# Sent when a connection opens (not through PgBouncer, which refuses startup options: set it on
# the role there, ``ALTER ROLE … SET max_parallel_workers_per_gather = 0``). A parallel plan
# starts server processes for the query; the portal's queries read a few thousand rows at most
# through an index, or a temporary table no parallel worker may read, and starting workers
# costs more than they share. The home page's figures went parallel for one of their counts:
# a process started on every view, 40% of the machine's CPU under load.
NO_PARALLEL_QUERY = "-c max_parallel_workers_per_gather=0"


def database_from_env(env, *, default_url: str | None = None, conn_max_age: int = 0) -> dict:
    """The ``default`` entry of DATABASES, from ``DATABASE_URL`` (``default_url`` when unset;
    None: required). ``conn_max_age``: the default of ``DB_CONN_MAX_AGE`` (production keeps
    connections a minute; elsewhere none)."""
    if default_url is None:
        database = env.db("DATABASE_URL")
    else:
        database = env.db("DATABASE_URL", default=default_url)
    database["ATOMIC_REQUESTS"] = False
    pgbouncer = env.bool("SSI_DB_PGBOUNCER", default=False)
    pool_max = env.int("SSI_DB_POOL_MAX_SIZE", default=0)
    postgres = database["ENGINE"] == "django.db.backends.postgresql"
    if (pgbouncer or pool_max) and not postgres:
        named = "SSI_DB_PGBOUNCER" if pgbouncer else "SSI_DB_POOL_MAX_SIZE"
        raise ImproperlyConfigured(
            f"{named} is for PostgreSQL: DATABASE_URL names another database."
        )
    if pool_max < 0:
        raise ImproperlyConfigured(f"SSI_DB_POOL_MAX_SIZE is {pool_max}: use 0 (no pool) or more.")
    if pgbouncer and pool_max:
        raise ImproperlyConfigured(
            "SSI_DB_POOL_MAX_SIZE and SSI_DB_PGBOUNCER are both set: PgBouncer already shares the "
            "server connections, and a psycopg pool in front of it holds PgBouncer's clients "
            "instead. Use one: unset SSI_DB_POOL_MAX_SIZE behind PgBouncer, or point "
            "DATABASE_URL at PostgreSQL itself and unset SSI_DB_PGBOUNCER."
        )
    options = database.setdefault("OPTIONS", {})
    if postgres and not pgbouncer:
        # Parameters sent apart from the SQL (server-side binding), so that psycopg prepares a
        # query the second time a connection runs it: PostgreSQL then neither parses nor
        # plans it again (planning was most of its CPU for the session's query, four times
        # its execution). A prepared statement lives on its server connection, which a
        # persistent connection and the psycopg pool both keep; PgBouncer (below) does not.
        # Not in a Celery worker (``workers_prepare_nothing``): see there.
        options["server_side_binding"] = True
        options["prepare_threshold"] = PREPARE_THRESHOLD
        # Web processes and workers alike (see NO_PARALLEL_QUERY).
        options["options"] = NO_PARALLEL_QUERY
    elif postgres:
        # Behind PgBouncer in transaction mode the next query may run on another server
        # connection, which holds no statement this one prepared: nothing is prepared.
        options["prepare_threshold"] = None
    if pool_max:
        if env.int("DB_CONN_MAX_AGE", default=0):
            raise ImproperlyConfigured(
                "DB_CONN_MAX_AGE is set with SSI_DB_POOL_MAX_SIZE: the pool keeps the "
                "connections, and Django refuses persistent connections with it. Unset "
                "DB_CONN_MAX_AGE (or set it to 0)."
            )
        options["pool"] = _pool_options(env, pool_max)
        database["CONN_MAX_AGE"] = 0
        # The pool then checks a connection as it hands it out (a restarted server's are gone).
        database["CONN_HEALTH_CHECKS"] = True
        return database
    database["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=conn_max_age)
    if pgbouncer:
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database["CONN_HEALTH_CHECKS"] = True
    return database


def _pool_options(env, max_size: int) -> dict:
    min_size = env.int("SSI_DB_POOL_MIN_SIZE", default=min(POOL_DEFAULT_MIN_SIZE, max_size))
    if not 0 <= min_size <= max_size:
        raise ImproperlyConfigured(
            f"SSI_DB_POOL_MIN_SIZE is {min_size}: use 0 to SSI_DB_POOL_MAX_SIZE ({max_size})."
        )
    timeout = env.float("SSI_DB_POOL_TIMEOUT", default=POOL_DEFAULT_TIMEOUT)
    if timeout <= 0:
        raise ImproperlyConfigured(f"SSI_DB_POOL_TIMEOUT is {timeout}: use a number of seconds.")
    return {"min_size": min_size, "max_size": max_size, "timeout": timeout}


def workers_prepare_nothing(connections) -> None:
    """A Celery worker's connections prepare no statement (``celeryd_init``).

    A worker runs few statements, each over thousands of rows, so planning each afresh costs
    next to nothing, and PostgreSQL plans it for its parameters: a bulk chunk's thousands of
    keys travel as one text parameter, which a prepared statement's generic plan sees as
    unknown. After five runs PostgreSQL may keep such a plan, and one did for a bulk answer's
    chunk: it walked the incidents newest first instead of looking up the chunk's Devices, a
    second a chunk (a 100,000-row answer took 342 s instead of 20). The web processes keep
    preparing: their queries are small, many and the same from request to request."""
    for alias in connections:
        settings_dict = connections.settings[alias]
        if settings_dict["ENGINE"] == "django.db.backends.postgresql":
            settings_dict.setdefault("OPTIONS", {})["prepare_threshold"] = None
            opened = connections[alias].connection  # one opened before then (psycopg's)
            if opened is not None:
                opened.prepare_threshold = None
