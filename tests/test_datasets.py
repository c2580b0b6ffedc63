"""retainkit.datasets: counts, schemas, checksums, offline loading, fresh-generation equality."""

import gzip
import hashlib
import importlib.util
import shutil
import socket
import subprocess
import zipfile
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
    assert table["name"].tolist() == [
        *expected_names, "cdnow_master", "cdnow_sample", "sbg_paper",
        "movielens_ratings", "movielens_items", "movielens_users",
    ]
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
    fetched = {DATA / file for file in make_data_module().FETCHED}  # not in git
    app_bytes = sum(p.stat().st_size for p in DATA.glob("app_*.parquet"))
    all_bytes = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file() and p not in fetched)
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


# --- MovieLens-100k ---------------------------------------------------------------------------


def raw_movielens(file: str) -> list[list[str]]:
    """Oracle: the tab-separated fields after the header, read with str.split only."""
    lines = (DATA / "movielens-100k" / file).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines[1:]]


def test_movielens_ratings_counts_schema_and_values():
    df = ds.load_movielens_100k()
    assert list(df.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert df.dtypes.astype(str).tolist() == ["int64", "int64", "int64", "datetime64[ns, UTC]"]
    assert len(df) == 100_000
    assert df["user_id"].nunique() == 943 and sorted(df["user_id"].unique()) == list(range(1, 944))
    assert df["item_id"].nunique() == 1_682
    assert sorted(df["item_id"].unique()) == list(range(1, 1683))
    assert not df.duplicated(["user_id", "item_id"]).any()
    assert df["rating"].value_counts().sort_index().tolist() == [6110, 11370, 27145, 34174, 21201]
    assert df["user_id"].value_counts().min() == 20  # every user rated at least 20 movies
    assert df["timestamp"].min() == pd.Timestamp("1997-09-20 03:05:10", tz="UTC")
    assert df["timestamp"].max() == pd.Timestamp("1998-04-22 23:10:38", tz="UTC")
    # the first line of u.data: user 196 gave movie 242 three stars at Unix time 881250949
    assert df.iloc[0].tolist() == [196, 242, 3, pd.Timestamp(881250949, unit="s", tz="UTC")]
    fields = raw_movielens("ml-100k.inter")
    assert len(fields) == len(df)
    assert df["user_id"].tolist() == [int(f[0]) for f in fields]
    assert df["item_id"].tolist() == [int(f[1]) for f in fields]
    assert df["rating"].tolist() == [int(f[2]) for f in fields]
    seconds = df["timestamp"].astype("int64") // 10**9
    assert seconds.tolist() == [int(f[3]) for f in fields]


def test_movielens_items_and_users():
    items = ds.load_movielens_100k("items")
    assert list(items.columns) == ["item_id", "title", "release_year", "genres"]
    assert items["item_id"].tolist() == list(range(1, 1683))
    assert items.loc[0].tolist() == [1, "Toy Story", 1995, "Animation|Children's|Comedy"]
    assert str(items["release_year"].dtype) == "Int64"
    assert items.loc[items["release_year"].isna(), "item_id"].tolist() == [267, 1412]
    assert items.loc[items["title"].isna(), "item_id"].tolist() == [267]
    genres = set("|".join(items["genres"]).split("|"))
    assert len(genres) == 19 and {"unknown", "Film-Noir", "Sci-Fi", "Children's"} <= genres
    fields = raw_movielens("ml-100k.item")
    assert items["genres"].tolist() == ["|".join(f[3].split()) for f in fields]
    assert "Misérables, Les" in set(items["title"])
    users = ds.load_movielens_100k("users")
    assert list(users.columns) == ["user_id", "age", "gender", "occupation", "zip_code"]
    assert users["user_id"].tolist() == list(range(1, 944))
    assert users.loc[0].tolist() == [1, 24, "M", "technician", "85711"]
    assert set(users["gender"]) == {"M", "F"} and users["occupation"].nunique() == 21
    assert users["zip_code"].map(type).eq(str).all()


def fake_wheel(path: Path, raw: dict[str, bytes]) -> Path:
    """A zip laid out like the recbole wheel, holding the given raw files."""
    make_data = make_data_module()
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("recbole/__init__.py", "")
        for name, data in raw.items():
            wheel.writestr(make_data.RECBOLE_MEMBER.format(name), data)
    return path


def committed_raw() -> dict[str, bytes]:
    return {name: (DATA / file).read_bytes()
            for name, (file, _, _) in make_data_module().MOVIELENS_RAW.items()}


def test_movielens_is_stored_raw_as_in_the_wheel():
    make_data = make_data_module()
    for _, (file, sha, size) in make_data.MOVIELENS_RAW.items():
        assert ds.FILES[file][1] == sha  # the loader checks the wheel's own bytes
        assert (DATA / file).stat().st_size == size
        assert hashlib.sha256((DATA / file).read_bytes()).hexdigest() == sha


def test_vendoring_movielens_from_a_folder_is_byte_identical_and_refuses_other_files(tmp_path):
    make_data = make_data_module()
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, data in committed_raw().items():
        (raw / name).write_bytes(data)
    written = make_data.vendor_movielens(raw, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(make_data.FETCHED)
    for file, (_, sha) in ds.FILES.items():
        if file in make_data.FETCHED:
            assert ds.sha256_of(tmp_path / file) == sha
    (raw / "ml-100k.user").write_bytes(b"user_id:token\n1\n")
    with pytest.raises(SystemExit, match="ml-100k.user: sha256 .* is not recbole 1.2.1's"):
        make_data.vendor_movielens(raw, tmp_path / "other")
    assert not (tmp_path / "other").exists()  # nothing written when one file is wrong
    with pytest.raises(SystemExit, match="neither recbole-1.2.1-py3-none-any.whl nor the files"):
        make_data.vendor_movielens(tmp_path, tmp_path / "other")
    with pytest.raises(SystemExit, match="other: no such file or folder"):
        make_data.vendor_movielens(tmp_path / "other", tmp_path)


def test_vendoring_movielens_from_a_wheel_checks_the_wheel_first(tmp_path, monkeypatch):
    make_data = make_data_module()
    folder = tmp_path / "wheels"
    folder.mkdir()
    wheel = fake_wheel(folder / make_data.RECBOLE_WHEEL, committed_raw())
    with pytest.raises(SystemExit, match=r"recbole-1.2.1-py3-none-any.whl: sha256 \w+ is not "
                                         r"the recbole-1.2.1-py3-none-any.whl of PyPI's 9c99"):
        make_data.vendor_movielens(wheel, tmp_path)
    monkeypatch.setattr(make_data, "RECBOLE_WHEEL_SHA256", ds.sha256_of(wheel))
    make_data.vendor_movielens(folder, tmp_path / "out")  # a folder holding the wheel
    for file, _, _ in make_data.MOVIELENS_RAW.values():
        assert (tmp_path / "out" / file).read_bytes() == (DATA / file).read_bytes()
    partial = fake_wheel(tmp_path / "partial.whl", {"ml-100k.inter": b"x"})
    monkeypatch.setattr(make_data, "RECBOLE_WHEEL_SHA256", ds.sha256_of(partial))
    with pytest.raises(SystemExit, match="no recbole/dataset_example/ml-100k/ml-100k.item, "):
        make_data.vendor_movielens(partial, tmp_path)


def test_fetch_movielens_downloads_into_a_temporary_folder(tmp_path, monkeypatch):
    make_data = make_data_module()
    source = fake_wheel(tmp_path / "source.whl", committed_raw())
    monkeypatch.setattr(make_data, "RECBOLE_WHEEL_SHA256", ds.sha256_of(source))
    seen = []

    def download(requirement, dest):
        seen.append((requirement, dest))
        shutil.copy(source, dest / make_data.RECBOLE_WHEEL)

    make_data.fetch_movielens(tmp_path / "out", download=download)
    assert seen[0][0] == "recbole==1.2.1" and not seen[0][1].exists()  # removed afterwards
    for file in make_data.FETCHED:
        assert (tmp_path / "out" / file).read_bytes() == (DATA / file).read_bytes()
    with pytest.raises(SystemExit, match=r"(?s)gave nothing, not recbole-1.2.1-py3-none-any.whl"
                                         r".*--vendor-movielens path/to/recbole"):
        make_data.fetch_movielens(tmp_path / "none", download=lambda requirement, dest: None)


def test_fetch_movielens_without_an_index_says_how_to_do_it_offline(tmp_path, monkeypatch):
    make_data = make_data_module()
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "no-pip.conf"))  # ignore pip.conf
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))  # an empty folder
    with pytest.raises(SystemExit, match=r"(?s)pip could not download recbole==1.2.1 .*"
                                         r"pip download --no-deps recbole==1.2.1.*"
                                         r"make movielens RECBOLE_WHEEL=path/to/recbole-1.2.1-py3"):
        make_data.fetch_movielens(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_damaged_movielens_file_fails_its_checksum(data_copy):
    path = data_copy / "movielens-100k" / "ml-100k.inter"
    path.write_bytes(path.read_bytes().replace(b"196\t242\t3", b"196\t242\t5", 1))
    with pytest.raises(ds.ChecksumError, match=r"ml-100k.inter: sha256 .*--fetch-movielens"):
        ds.load_movielens_100k()
    assert ds.load_movielens_100k(verify=False)["rating"][0] == 5
    with pytest.raises(ValueError, match=r"^part='ratings.csv' is not supported; accepted "
                                         r"values: 'ratings', 'items', 'users'$"):
        ds.load_movielens_100k("ratings.csv")


def test_missing_movielens_names_the_fetch_command(data_copy):
    make_data = make_data_module()
    for file in make_data.FETCHED:
        (data_copy / file).unlink()
    for part in ds.MOVIELENS_PARTS:
        with pytest.raises(FileNotFoundError) as error:
            ds.load_movielens_100k(part)
        message = str(error.value)
        assert "not redistributed with the workbook" in message and "GroupLens" in message
        assert "`make movielens`" in message
        assert "`python tools/make_data.py --fetch-movielens`" in message
    listed = ds.list_datasets().set_index("name")  # still listed, from the tables alone
    assert listed.loc["movielens_ratings", "rows"] == 100_000
    assert listed.loc["movielens_items", "file"] == "movielens-100k/ml-100k.item"
    # `make data` or `--check` on a checkout without the files keeps the tables as they are
    assert make_data.file_table(data_copy) == make_data.file_table(DATA)
    assert make_data.check_table(data_copy) == []


def test_git_tracks_no_movielens_data():
    try:
        inside = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--show-toplevel"],
                                capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("git is not installed")
    if inside.returncode != 0 or Path(inside.stdout.strip()).resolve() != REPO.resolve():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "-C", str(REPO), "ls-files", "datasets/movielens-100k"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert set(tracked) <= {"datasets/movielens-100k/README.md"}, tracked
    data = [f"datasets/{file}" for file in make_data_module().FETCHED]
    ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", *data],
                             capture_output=True, text=True).stdout.split()
    assert ignored == data  # `git add datasets` cannot pick them up by accident


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
    vendored = {"cdnow_master.txt.gz", "cdnow_sample.txt.gz"} | set(make_data.FETCHED)
    assert sorted(written) == sorted(ds.FILES.keys() - vendored)
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
    assert [len(ds.load_movielens_100k(p)) for p in ds.MOVIELENS_PARTS] == [100_000, 1_682, 943]
