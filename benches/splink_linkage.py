"""Splink 4 (DuckDB backend) on the same synthetic extracts as `pintu bench linkage`.

    python benches/splink_linkage.py EXTRACTS_DIR PREDICTIONS_CSV

Reads the five extracts, links every row with a Fellegi-Sunter model comparable to Pintu's
(the same fields and agreement levels, u from random pairs, m by EM, threshold 0.9), clusters
the links, and writes `source,row,person,has_nik` for `pintu bench score`.
"""

import sys
import time

import pandas as pd
import splink.comparison_library as cl
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

SOURCES = ["ektp", "kk", "dtks", "kps", "jkn"]


def load(directory):
    frames = []
    for source in SOURCES:
        df = pd.read_csv(f"{directory}/{source}.csv", dtype=str, keep_default_na=False)
        name = df["head_name"] if source == "kps" else df["full_name"]
        out = pd.DataFrame(
            {
                "unique_id": [f"{source}:{i + 1}" for i in range(len(df))],
                "source": source,
                "row": range(1, len(df) + 1),
                "nik": df.get("nik", pd.Series([""] * len(df))),
                "kk_number": df.get("kk_number", pd.Series([""] * len(df))),
                "name": name.str.lower().str.replace(r"[^a-z0-9 ]", "", regex=True),
                "birth_date": df.get("birth_date", pd.Series([""] * len(df))),
                "sex": df.get("sex", pd.Series([""] * len(df))),
                "village_code": df.get("village_code", pd.Series([""] * len(df))),
            }
        )
        frames.append(out)
    df = pd.concat(frames, ignore_index=True)
    for col in ["nik", "kk_number", "name", "birth_date", "sex", "village_code"]:
        df[col] = df[col].replace("", None)
    df["district"] = df["village_code"].str.rsplit(".", n=1).str[0]
    df["birth_year"] = df["birth_date"].str[:4]
    df["name_stem"] = df["name"].str[:3]
    return df


def main():
    directory, out_path = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    df = load(directory)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.ExactMatch("nik"),
            cl.ExactMatch("kk_number"),
            cl.JaroWinklerAtThresholds("name", [0.94, 0.85]),
            cl.DateOfBirthComparison(
                "birth_date",
                input_is_string=True,
                datetime_metrics=["year"],
                datetime_thresholds=[1],
            ),
            cl.ExactMatch("sex"),
            cl.CustomComparison(
                output_column_name="village_code",
                comparison_levels=[
                    cll.NullLevel("village_code"),
                    cll.ExactMatchLevel("village_code"),
                    cll.ExactMatchLevel("district"),
                    cll.ElseLevel(),
                ],
            ),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nik"),
            block_on("kk_number"),
            block_on("village_code", "birth_year"),
            block_on("village_code", "name_stem"),
            block_on("district", "name"),
            block_on("name", "birth_date"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(df, settings, db_api=DuckDBAPI())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nik")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("nik"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("village_code", "birth_year")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, 0.9
    ).as_pandas_dataframe()
    elapsed = time.perf_counter() - started
    by_id = dict(zip(clusters["unique_id"], clusters["cluster_id"]))
    out = pd.DataFrame(
        {
            "source": df["source"],
            "row": df["row"],
            "person": [by_id.get(u, u) for u in df["unique_id"]],
            "has_nik": df["nik"].notna().astype(int),
        }
    )
    out.to_csv(out_path, index=False)
    print(f"splink: {len(df)} rows linked and clustered in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
