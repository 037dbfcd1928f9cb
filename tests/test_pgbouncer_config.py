"""deploy/pgbouncer/pgbouncer.ini: PgBouncer as the portal needs it, which scripts/stack runs."""

import configparser
from pathlib import Path

from deploy.stack.processes import PGBOUNCER_INI, pgbouncer_config


def read(path: Path) -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config.read(path)
    return config


def test_the_example_configuration_pools_by_transaction_on_loopback():
    section = read(PGBOUNCER_INI)["pgbouncer"]

    assert section["pool_mode"] == "transaction"
    assert section["listen_addr"] == "127.0.0.1"
    assert int(section["max_client_conn"]) > int(section["default_pool_size"])


def test_the_stack_runs_that_configuration_on_a_port_and_upstream_of_its_own(tmp_path):
    example = read(PGBOUNCER_INI)["pgbouncer"]

    config = read(
        pgbouncer_config(tmp_path, port=16432, user="postgres", upstream=("127.0.0.1", 5432))
    )

    assert dict(config["databases"]) == {"*": "host=127.0.0.1 port=5432"}
    section = config["pgbouncer"]
    assert (section["listen_port"], section["auth_type"]) == ("16432", "trust")
    for kept in ("pool_mode", "default_pool_size", "idle_transaction_timeout"):
        assert section[kept] == example[kept]
    assert "logfile" not in section and "pidfile" not in section
    assert (tmp_path / "userlist.txt").read_text() == '"postgres" ""\n'
