"""retainkit.datasets: counts, schemas, checksums, offline loading, fresh-generation equality."""

import gzip
import importlib.util
import shutil
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retainkit import datasets as ds
from retainkit.events import validate_events

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "datasets"


def make_data_module():
    spec = importlib.util.spec_from_file_location("make_data", REPO / "tools" / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of datasets/ that RETAINKIT_DATA points at, free to damage."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    monkeypatch.setenv(ds.ENV_VAR, str(copy))
    return copy


# --- the catalogue and the checksum table -------------------------------------------------


def test_list_datasets_matches_the_files_on_disk():
    table = ds.list_datasets()
    assert list(table.columns) == ["name", "file", "rows", "description", "sha256"]
    expected_names = [f"app_{p}_{part}" for p in ds.PRESETS for part in ("events", "users")]
    assert table["name"].tolist() == [*expected_names, "cdnow_master", "cdnow_sample", "sbg_paper"]
    for row in table.itertuples():
        path = DATA / row.file
        assert path.is_file(), row.file
        assert ds.sha256_of(path) == row.sha256, f"{row.file}: run `make data`"
    assert set(table["file"]) == set(ds.FILES)


def test_rows_in_the_table_are_the_rows_loaded():
    loaders = make_data_module().LOADERS
    for row in ds.list_datasets().itertuples():
        assert len(loaders[row.name](verify=True)) == row.rows, row.name


def test_sizes_stay_small():
    app_bytes = sum(p.stat().st_size for p in DATA.glob("app_*.parquet"))
    all_bytes = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    assert app_bytes < 15e6
    assert all_bytes < 25e6


# --- CDNOW ----------------------------------------------------------------------------------


def parse_by_hand(file: str, header: bool) -> list[list[str]]:
    """Oracle: the raw whitespace-separated fields, read with gzip and str.split only."""
    with gzip.open(DATA / file, "rt", newline="") as handle:
        lines = handle.read().splitlines()
    return [line.split() for line in lines[1 if header else 0 :] if line.strip()]


def test_cdnow_master_counts_schema_and_values():
    df = ds.load_cdnow("master")
    assert len(df) == 69_659
    assert df["customer_id"].nunique() == 23_570
    assert list(df.columns) == ["customer_id", "date", "n_cds", "amount"]
    assert df.dtypes.astype(str).tolist() == ["int64", "datetime64[ns]", "int64", "float64"]
    assert df["date"].min() == pd.Timestamp("1997-01-01")
    assert df["date"].max() == pd.Timestamp("1998-06-30")
    # first lines of the raw file: " 00002 19970112  5   77.00" is customer 2's second purchase
    assert df.iloc[2].tolist() == [2, pd.Timestamp("1997-01-12"), 5, 77.0]
    fields = parse_by_hand("cdnow_master.txt.gz", header=True)
    assert len(fields) == len(df)
    assert df["customer_id"].tolist() == [int(f[0]) for f in fields]
    assert df["date"].dt.strftime("%Y%m%d").tolist() == [f[1] for f in fields]
    assert df["n_cds"].tolist() == [int(f[2]) for f in fields]
    assert np.array_equal(df["amount"].to_numpy(), [float(f[3]) for f in fields])


def test_cdnow_sample_counts_and_consistency_with_master():
    sample = ds.load_cdnow(kind="sample")
    assert len(sample) == 6_919
    assert sample["customer_id"].nunique() == 2_357
    assert sorted(sample["sample_id"].unique()) == list(range(1, 2358))
    assert (sample.groupby("sample_id")["customer_id"].nunique() == 1).all()
    assert (sample.groupby("customer_id")["sample_id"].nunique() == 1).all()
    fields = parse_by_hand("cdnow_sample.txt.gz", header=False)
    assert sample["sample_id"].tolist() == [int(f[1]) for f in fields]
    assert np.array_equal(sample["amount"].to_numpy(), [float(f[4]) for f in fields])
    # the sample is exactly the master's rows of its customers (the file orders by sample id)
    master = ds.load_cdnow("master")
    keys = ["customer_id", "date", "n_cds", "amount"]
    mine = master[master["customer_id"].isin(sample["customer_id"])]
    pd.testing.assert_frame_equal(
        mine.sort_values(keys).reset_index(drop=True),
        sample[keys].sort_values(keys).reset_index(drop=True),
    )


def test_cdnow_sample_matches_the_summary_published_with_lifetimes():
    # lifetimes 0.11.3, datasets/cdnow_customers_summary.csv, first 7 rows (ID = sample id):
    # repeat-purchase days and recency in weeks over the 39-week calibration period that ends
    # on 1997-09-30; T = (1997-09-30 - first purchase) / 7 weeks.
    frequency = [2, 1, 0, 0, 0, 7, 1]
    recency = [30.43, 1.71, 0.0, 0.0, 0.0, 29.43, 5.0]
    sample = ds.load_cdnow("sample")
    calibration = sample[sample["date"] <= "1997-09-30"].groupby("sample_id")["date"]
    ours = pd.DataFrame(
        {
            "frequency": calibration.nunique() - 1,
            "recency": ((calibration.max() - calibration.min()).dt.days / 7).round(2),
            "T": ((pd.Timestamp("1997-09-30") - calibration.min()).dt.days / 7).round(2),
        }
    ).loc[1:7]
    assert ours["frequency"].tolist() == frequency
    assert ours["recency"].tolist() == recency
    assert (ours["T"] == 38.86).all()


def test_sbg_paper_table():
    expected = pd.DataFrame(
        {
            "year": [0, 1, 2, 3, 4, 5, 6, 7],
            "regular": [1000, 631, 468, 382, 326, 289, 262, 241],
            "high_end": [1000, 869, 743, 653, 593, 551, 517, 491],
        }
    )
    pd.testing.assert_frame_equal(ds.load_sbg_paper(), expected)


# --- simulated apps ---------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ds.PRESETS)
def test_app_snapshot_schema(preset):
    events = ds.load_app_events(preset)
    users = ds.load_app_users(preset)
    assert list(events.columns[:3]) == ["user_id", "timestamp", "event"]
    assert str(events["user_id"].dtype) == "int64"
    assert str(events["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert events["event"].map(type).eq(str).all()
    assert "session_start" in set(events["event"])
    pd.testing.assert_frame_equal(validate_events(events), events)  # canonical, sorted, no dupes
    assert {"user_id", "signup_time", "channel", "device", "region"} <= set(users.columns)
    assert str(users["signup_time"].dtype) == "datetime64[ns, UTC]"
    assert users["user_id"].is_unique
    assert set(events["user_id"]) <= set(users["user_id"])
    assert any(c.startswith("true_") for c in users.columns)


def test_a_fresh_generation_matches_the_committed_files(tmp_path):
    make_data = make_data_module()
    written = make_data.write_generated(tmp_path)
    assert sorted(written) == sorted(
        ds.FILES.keys() - {"cdnow_master.txt.gz", "cdnow_sample.txt.gz"}
    )
    assert make_data.compare(tmp_path, DATA, written) == []


def test_the_regeneration_check_fails_when_one_simulator_parameter_changes(tmp_path, monkeypatch):
    from retainkit.simulate import PRESETS

    make_data = make_data_module()
    monkeypatch.setitem(PRESETS["shop"]["hazard_device"], "web", 0.31)  # was 0.30
    written = make_data.write_generated(tmp_path, presets=("shop",))
    problems = make_data.compare(tmp_path, DATA, [f for f in written if f.startswith("app_shop")])
    assert problems and all("a fresh generation differs" in p for p in problems)
    assert any(p.startswith("app_shop_events.parquet") for p in problems)


def test_cpu_noise_passes_the_regeneration_check_but_real_changes_do_not():
    make_data = make_data_module()
    events = ds.load_app_events("shop").head(5000)
    users = ds.load_app_users("shop")
    assert make_data.frame_differences(events.copy(), events) == []
    noisy = events.assign(timestamp=events["timestamp"] + pd.to_timedelta(
        np.where(np.arange(len(events)) % 7 == 0, 1_000, 0), unit="ns"))  # 1 microsecond
    assert make_data.frame_differences(noisy, events) == []
    float_noise = users.assign(true_interest=users["true_interest"] * (1 + 4e-16))
    assert make_data.frame_differences(float_noise, users) == []

    late = events.copy()
    late.loc[10, "timestamp"] += pd.Timedelta("2ms")
    assert any("times differ by more than" in p for p in make_data.frame_differences(late, events))
    renamed = events.copy()
    renamed.loc[10, "event"] = "something_else"
    assert any("'event'" in p for p in make_data.frame_differences(renamed, events))
    shifted = users.assign(true_interest=users["true_interest"] * (1 + 1e-6))
    assert any("'true_interest'" in p for p in make_data.frame_differences(shifted, users))
    assert make_data.frame_differences(events.iloc[1:], events) == [
        f"{len(events) - 1:,} rows != {len(events):,}"
    ]


def test_check_finds_stale_frames_and_tables(tmp_path, data_copy):
    make_data = make_data_module()
    assert make_data.check_table(DATA) == []  # committed files, code table and card agree
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    events = ds.load_app_events("shop")
    make_data.write_parquet(events, fresh / "app_shop_events.parquet")
    assert make_data.compare(fresh, data_copy, ["app_shop_events.parquet"]) == []
    events.loc[3, "event"] = "purchase" if events.loc[3, "event"] != "purchase" else "add_to_cart"
    make_data.write_parquet(events, fresh / "app_shop_events.parquet")
    problems = make_data.compare(fresh, data_copy, ["app_shop_events.parquet"])
    assert (
        len(problems) == 1 and "app_shop_events.parquet: a fresh generation differs" in problems[0]
    )
    shutil.copy(fresh / "app_shop_events.parquet", data_copy / "app_shop_events.parquet")
    stale = make_data.check_table(data_copy)
    assert any(p.startswith("app_shop_events.parquet: (rows, sha256)") for p in stale)
    assert any("the file table is out of date" in p for p in stale)


def test_vendoring_cdnow_is_byte_reproducible(tmp_path):
    make_data = make_data_module()
    raw = tmp_path / "raw"
    raw.mkdir()
    for raw_name, (file, _) in make_data.CDNOW_RAW.items():
        (raw / raw_name).write_bytes(gzip.decompress((DATA / file).read_bytes()))
    make_data.vendor_cdnow(raw, tmp_path)
    for _, (file, _) in make_data.CDNOW_RAW.items():
        assert ds.sha256_of(tmp_path / file) == ds.FILES[file][1]


# --- errors and offline use ---------------------------------------------------------------------


def test_a_damaged_file_fails_its_checksum(data_copy):
    path = data_copy / "sbg_paper.csv"
    path.write_text(path.read_text().replace("631", "632"))
    with pytest.raises(ds.ChecksumError, match=r"sbg_paper.csv: sha256 is .*make data"):
        ds.load_sbg_paper()
    assert ds.load_sbg_paper(verify=False)["regular"][1] == 632
    with gzip.open(data_copy / "cdnow_sample.txt.gz", "ab") as handle:
        handle.write(b" 99999 9999 19980101  1   1.00\r\n")
    with pytest.raises(ds.ChecksumError, match=r"git checkout -- datasets/cdnow_sample.txt.gz"):
        ds.load_cdnow("sample")


def test_missing_files_and_folders(data_copy, monkeypatch):
    (data_copy / "cdnow_master.txt.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"cdnow_master.txt.gz is missing: restore"):
        ds.load_cdnow()
    monkeypatch.setenv(ds.ENV_VAR, str(data_copy / "nowhere"))
    with pytest.raises(FileNotFoundError, match="RETAINKIT_DATA"):
        ds.load_sbg_paper()


def test_the_default_folder_is_next_to_the_package(monkeypatch):
    monkeypatch.delenv(ds.ENV_VAR, raising=False)
    assert ds.data_dir() == DATA


def test_bad_choices_list_the_accepted_values():
    with pytest.raises(ValueError, match=r"^preset='dating' is not supported; accepted values: "
                                         r"'social', 'game', 'shop'$"):
        ds.load_app_events("dating")
    with pytest.raises(ValueError, match=r"preset='Social' is not supported"):
        ds.load_app_users("Social")
    with pytest.raises(ValueError, match=r"^kind='full' is not supported; accepted values: "
                                         r"'master', 'sample'$"):
        ds.load_cdnow("full")


def test_loading_everything_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a dataset loader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with pytest.raises(AssertionError, match="network"):  # the guard itself works
        socket.create_connection(("example.org", 80))
    ds.list_datasets()
    for preset in ds.PRESETS:
        assert len(ds.load_app_events(preset)) > 0
        assert len(ds.load_app_users(preset)) > 0
    assert len(ds.load_cdnow("master")) + len(ds.load_cdnow("sample")) == 69_659 + 6_919
    assert len(ds.load_sbg_paper()) == 8
