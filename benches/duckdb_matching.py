"""The DuckDB baseline of `benches/matching.sh`: the tables `pintu bench matching --export`
wrote, loaded into an in-memory DuckDB database; then, timed, the run's population snapshot
built and every programme's eligibility query run and fetched in full — the same SQL Pintu
runs, compiled in the PostgreSQL dialect.

    python benches/duckdb_matching.py EXPORT_DIR

Prints the load time, each query's time and row count, the total query time, and whether
every count equals Pintu's (pintu-eligible.json).
"""

import json
import sys
import time
from pathlib import Path

import duckdb

TYPES = {
    "persons": "id VARCHAR, birth_date DATE, sex VARCHAR, village_code VARCHAR, occupation VARCHAR, "
    "marital_status VARCHAR, life_status VARCHAR",
    "household_members": "person_id VARCHAR, household_id VARCHAR, relationship VARCHAR",
    "person_facts": "person_id VARCHAR, disability BOOLEAN, chronic_illness BOOLEAN, school_status VARCHAR, "
    "employment_status VARCHAR, monthly_income BIGINT, welfare_decile BIGINT, pmt_score DOUBLE, "
    "jkn_segment VARCHAR, jkn_class BIGINT, jkn_active BOOLEAN",
    "enrolments": "person_id VARCHAR, programme_code VARCHAR, status VARCHAR",
}

# The snapshot table a run reads (Pintu's migration 6).
POPULATION = """CREATE TABLE match_population (run_id VARCHAR, household_key VARCHAR,
    person_id VARCHAR, household_id VARCHAR, is_head BOOLEAN, village_code VARCHAR,
    birth_date DATE, sex VARCHAR, relationship VARCHAR, occupation VARCHAR,
    marital_status VARCHAR, disability BOOLEAN, chronic_illness BOOLEAN,
    school_status VARCHAR, employment_status VARCHAR, monthly_income BIGINT,
    welfare_decile BIGINT, pmt_score DOUBLE, jkn_segment VARCHAR, jkn_class BIGINT,
    jkn_active BOOLEAN, h_size BIGINT, h_welfare_decile BIGINT, h_pmt_score DOUBLE,
    h_income BIGINT, PRIMARY KEY (run_id, household_key, person_id))"""


def main(export: Path) -> int:
    db = duckdb.connect()
    started = time.perf_counter()
    for table, columns in TYPES.items():
        db.execute(f"CREATE TABLE {table} ({columns})")
        db.execute(
            f"INSERT INTO {table} SELECT * FROM read_csv(?, header = true, nullstr = '', "
            f"columns = {{{', '.join(repr(c.split()[0]) + ': ' + repr(c.split()[1]) for c in columns.split(', '))}}})",
            [str(export / f"{table}.csv")],
        )
    # The indexes a database would have on its keys (DuckDB uses them for point lookups).
    db.execute("CREATE UNIQUE INDEX persons_id ON persons (id)")
    db.execute("CREATE INDEX members_household ON household_members (household_id)")
    db.execute(POPULATION)
    # PostgreSQL's to_char(date, 'MM-DD'), the one function of the dialect DuckDB lacks.
    db.execute("CREATE MACRO to_char(d, f) AS strftime(d, '%m-%d')")
    loaded = time.perf_counter() - started
    print(f"duckdb {duckdb.__version__}: loaded the tables in {loaded:.2f} s")

    exported = json.loads((export / "queries.json").read_text())
    pintu = json.loads((export / "pintu-eligible.json").read_text())
    started = time.perf_counter()
    for step in exported["population"]:
        db.execute(step["sql"], step["params"])
    total = time.perf_counter() - started
    people = db.execute("SELECT COUNT(*) FROM match_population").fetchone()[0]
    print(f"  population     {people:>8} people   {total:7.3f} s")
    same = True
    queries = exported["queries"]
    for q in queries:
        started = time.perf_counter()
        rows = db.execute(q["sql"], q["params"]).fetchall()
        took = time.perf_counter() - started
        total += took
        agree = pintu.get(q["code"]) == len(rows)
        same &= agree
        print(f"  {q['code']:<14} {len(rows):>8} eligible {took:7.3f} s{'' if agree else '  DIFFERS from Pintu'}")
    print(f"duckdb matching (population and queries): {total:.2f} s for {len(queries)} programmes")
    print("every count equals Pintu's" if same else "SOME COUNTS DIFFER from Pintu's")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
