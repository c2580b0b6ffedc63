"""The workbook's offline datasets, each checked against its sha256 (introduced in notebook 00).

Where the files are: the ``datasets/`` folder of the repository, found next to this package
(``Path(__file__).parents[1] / "datasets"``). If you installed retainkit elsewhere (a wheel, a
site-packages copy), point the environment variable ``RETAINKIT_DATA`` at a copy of that folder.
The folder's ``README.md`` is the data card: sources, licences, schemas with units, row counts.

Every loader reads a local file, never the network, and first compares the file's sha256 with
the table ``FILES`` below; a mismatch raises :class:`ChecksumError` saying how to regenerate or
restore the file.

- ``app_<preset>_events`` / ``app_<preset>_users`` for ``preset`` in ``PRESETS``: deterministic
  snapshots of :func:`retainkit.simulate.simulate_app` with the arguments in
  ``APP_SNAPSHOT_ARGS``, written by ``tools/make_data.py`` (``make data``).
- ``cdnow_master`` / ``cdnow_sample``: the CDNOW customer panel of Fader and Hardie, as shipped
  in the ``lifetimes`` 0.11.3 wheel (gzip-compressed, otherwise byte-identical).
- ``sbg_paper``: the survivor table of Fader and Hardie (2007), "How to project customer
  retention", Journal of Interactive Marketing 21(1).
- ``movielens_ratings`` / ``movielens_items`` / ``movielens_users``: MovieLens-100k of
  GroupLens (Harper & Konstan 2015), byte for byte as shipped in the ``recbole`` 1.2.1 wheel.
  GroupLens's terms forbid redistributing it, so it is **not in the repository**: ``make
  movielens`` (``python tools/make_data.py --fetch-movielens``) fetches it once per checkout
  from PyPI; the loader itself stays offline and raises :class:`FileNotFoundError`, naming
  that command, while the files are missing. Terms and citation: see the data card.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from retainkit._validation import check_choice

__all__ = [
    "PRESETS",
    "APP_SNAPSHOT_ARGS",
    "ChecksumError",
    "data_dir",
    "list_datasets",
    "load_app_events",
    "load_app_users",
    "load_cdnow",
    "load_sbg_paper",
    "load_movielens_100k",
    "MOVIELENS_PARTS",
]

PRESETS = ("social", "game", "shop")
MOVIELENS_PARTS = ("ratings", "items", "users")  # the frames of load_movielens_100k

# The simulate_app arguments of the committed snapshots (tools/make_data.py reads them here).
APP_SNAPSHOT_ARGS: dict[str, dict[str, int]] = {
    "social": {"n_users": 4000, "days": 120, "seed": 101},
    "game": {"n_users": 4000, "days": 120, "seed": 202},
    "shop": {"n_users": 4000, "days": 120, "seed": 303},
}

ENV_VAR = "RETAINKIT_DATA"
REGENERATE = {
    "app": "run `make data` (python tools/make_data.py), which rewrites the file and this table",
    "cdnow": (
        "restore it with `git checkout -- datasets/{file}`, or re-vendor it from the lifetimes "
        "0.11.3 wheel with `python tools/make_data.py --vendor-cdnow DIR` (see datasets/README.md)"
    ),
    "sbg": "run `make data` (python tools/make_data.py), which rewrites it from the paper's table",
    "movielens": (
        "fetch it again with `python tools/make_data.py --fetch-movielens`, which overwrites "
        "the MovieLens files (offline: `--vendor-movielens` with the recbole 1.2.1 wheel, see "
        "datasets/README.md)"
    ),
}
# Kinds whose files are not redistributed with the workbook: fetched at setup, not in git.
NOT_REDISTRIBUTED = {
    "movielens": (
        "MovieLens-100k is not redistributed with the workbook (GroupLens's terms for ml-100k "
        "forbid redistribution without permission), so each checkout fetches it once: run "
        "`make movielens`, or `python tools/make_data.py --fetch-movielens` (about 2 MB from "
        "PyPI's recbole 1.2.1 wheel). Offline: see 'MovieLens-100k' in datasets/README.md"
    ),
}

# name -> (file, kind, description)
CATALOG: dict[str, tuple[str, str, str]] = {
    **{
        f"app_{p}_{part}": (
            f"app_{p}_{part}.parquet",
            "app",
            f"simulated '{p}' app, {what} (simulate_app(preset={p!r}, "
            + ", ".join(f"{k}={v}" for k, v in APP_SNAPSHOT_ARGS[p].items())
            + "))",
        )
        for p in PRESETS
        for part, what in [("events", "one row per event"), ("users", "one row per user")]
    },
    "cdnow_master": (
        "cdnow_master.txt.gz",
        "cdnow",
        "CDNOW: every purchase (Jan 1997 - Jun 1998) of the 23,570 customers whose first "
        "purchase was in Q1 1997; one row per transaction",
    ),
    "cdnow_sample": (
        "cdnow_sample.txt.gz",
        "cdnow",
        "CDNOW: the 1-in-10 sample of 2,357 of those customers; one row per transaction",
    ),
    "sbg_paper": (
        "sbg_paper.csv",
        "sbg",
        "Fader & Hardie (2007): customers still renewing out of 1000, years 0-7, "
        "regular and high-end segments",
    ),
    "movielens_ratings": (
        "movielens-100k/ml-100k.inter",
        "movielens",
        "MovieLens-100k (GroupLens): 100,000 ratings 1-5 of 1,682 movies by 943 users, "
        "Sep 1997 - Apr 1998; one row per rating",
    ),
    "movielens_items": (
        "movielens-100k/ml-100k.item",
        "movielens",
        "MovieLens-100k: the 1,682 movies, with title, release year and genres",
    ),
    "movielens_users": (
        "movielens-100k/ml-100k.user",
        "movielens",
        "MovieLens-100k: the 943 users, with age, gender, occupation and zip code",
    ),
}

# file -> (rows, sha256). Written by `python tools/make_data.py`; do not edit by hand.
# BEGIN FILE TABLE
FILES: dict[str, tuple[int, str]] = {
    "app_game_events.parquet": (
        179162,
        "54f8f43149dc6fdca965ebe7b80603360514a57019350663cdeab16a646bc613",
    ),
    "app_game_users.parquet": (
        4000,
        "52a9df678790fbf39786d5f4c6395a9ee0de98f181aa4a99accced88ee5ce8a1",
    ),
    "app_shop_events.parquet": (
        128555,
        "a7a289ae54fe455d28fffb3b1eee9642f0050da7272888db38a9222e94983153",
    ),
    "app_shop_users.parquet": (
        4000,
        "1a805bca6d3304a7bbfa50cdde615a0bd93c3f66822d9a47ca6fb9df7a42fe1c",
    ),
    "app_social_events.parquet": (
        797997,
        "777692e6973b651e5400a697a0dfdb2312bcb641976f2dc0d4dc20e740353b00",
    ),
    "app_social_users.parquet": (
        4000,
        "c2b9ee8c001cc27697fa19cddf6e4c813321e5cd2fc3f75055bdb3ab32e6e81a",
    ),
    "cdnow_master.txt.gz": (
        69659,
        "884b058aeccf26b50e333e4557acb33ba2c993b35196cfdc87a2cc42290cffad",
    ),
    "cdnow_sample.txt.gz": (
        6919,
        "09dc7243e166bf993d7beadd9a2eff260486baf61304fe3f8778f5c31d70f63c",
    ),
    "movielens-100k/ml-100k.inter": (
        100000,
        "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    ),
    "movielens-100k/ml-100k.item": (
        1682,
        "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    ),
    "movielens-100k/ml-100k.user": (
        943,
        "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
    ),
    "sbg_paper.csv": (
        8,
        "50e5db50f324fbb78125b51dfa5bffe0028efe22a0c5a875609fc91dfd095068",
    ),
}
# END FILE TABLE


class ChecksumError(ValueError):
    """A dataset file's sha256 differs from the one recorded in ``retainkit.datasets.FILES``."""


def data_dir() -> Path:
    """The folder the datasets are read from: ``$RETAINKIT_DATA`` if set, else the repo's.

    Introduced in notebook 00 (an instructor can point every learner's loaders at one copy).
    """
    override = os.environ.get(ENV_VAR)
    folder = Path(override) if override else Path(__file__).resolve().parents[1] / "datasets"
    if not folder.is_dir():
        how = f"{ENV_VAR}={override!r} is not a folder" if override else "not found"
        raise FileNotFoundError(
            f"datasets folder {folder} {how}: set {ENV_VAR} to a copy of the repository's "
            "datasets/ folder"
        )
    return folder


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _path(name: str, *, verify: bool = True) -> Path:
    """The checked path of dataset ``name``."""
    file, kind, _ = CATALOG[name]
    path = data_dir() / file
    how = REGENERATE[kind].format(file=file)
    if not path.is_file():
        if kind in NOT_REDISTRIBUTED:
            raise FileNotFoundError(f"dataset file {path} is missing. {NOT_REDISTRIBUTED[kind]}.")
        raise FileNotFoundError(f"dataset file {path} is missing: {how}")
    if verify:
        expected = FILES.get(file, (None, None))[1]
        actual = sha256_of(path)
        if actual != expected:
            raise ChecksumError(
                f"{path}: sha256 is {actual}, expected {expected or '(none recorded)'}. The "
                f"file is damaged or was regenerated without updating the table: {how}"
            )
    return path


def list_datasets() -> pd.DataFrame:
    """The workbook's datasets: name, file, rows, description, sha256.

    Introduced in notebook 00. Reads nothing but this module's tables (use the loaders to
    check a file), so it also lists MovieLens-100k before ``make movielens`` has fetched it.
    ``rows`` counts the rows the loader returns.
    """
    records = [
        {
            "name": name,
            "file": file,
            "rows": FILES.get(file, (0, ""))[0],
            "description": description,
            "sha256": FILES.get(file, (0, ""))[1],
        }
        for name, (file, _, description) in CATALOG.items()
    ]
    return pd.DataFrame(records).astype({"rows": np.int64})


def load_app_events(preset: str = "social", *, verify: bool = True) -> pd.DataFrame:
    """The event log of a simulated app: ``user_id``, ``timestamp`` (UTC), ``event``.

    Introduced in notebook 00. A committed snapshot of ``simulate_app(preset, **args)`` with
    ``args = APP_SNAPSHOT_ARGS[preset]``, sorted by user then time: loading it is instant and
    gives everyone the same numbers. ``verify=False`` skips the sha256 check.
    """
    check_choice("preset", preset, PRESETS)
    return pd.read_parquet(_path(f"app_{preset}_events", verify=verify))


def load_app_users(preset: str = "social", *, verify: bool = True) -> pd.DataFrame:
    """The users of a simulated app: one row per user, observable and ``true_*`` columns.

    Introduced in notebook 00. Observable: ``user_id``, ``signup_time`` (UTC), ``channel``,
    ``device``, ``region``. The ``true_*`` columns are the simulator's latent truth: use them
    to check a method, never as model features.
    """
    check_choice("preset", preset, PRESETS)
    return pd.read_parquet(_path(f"app_{preset}_users", verify=verify))


def load_cdnow(kind: str = "master", *, verify: bool = True) -> pd.DataFrame:
    """CDNOW purchases, one row per transaction (introduced in notebook 01).

    Columns: ``customer_id`` (int64, the id in the master file, 1..23570), ``date``
    (datetime64[ns], a calendar day without time or zone), ``n_cds`` (int64, CDs bought) and
    ``amount`` (float64, US dollars). ``kind="sample"`` adds ``sample_id`` (1..2357, the id
    used in the sample file and in lifetimes' CDNOW summaries), so the same customer has the
    same ``customer_id`` in both tables. Several purchases on one day are separate rows, as
    in the original files. Rows keep the file order: by the file's own customer id
    (``customer_id`` in master, ``sample_id`` in sample), then date.
    """
    check_choice("kind", kind, ("master", "sample"))
    path = _path(f"cdnow_{kind}", verify=verify)
    if kind == "master":  # a header line, then: id, yyyymmdd, CDs, dollars
        names, skip = ["customer_id", "date", "n_cds", "amount"], 1
    else:  # no header: master id, sample id, yyyymmdd, CDs, dollars
        names, skip = ["customer_id", "sample_id", "date", "n_cds", "amount"], 0
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        skiprows=skip,
        names=names,
        dtype={"customer_id": np.int64, "sample_id": np.int64, "date": str, "n_cds": np.int64},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw["amount"] = raw["amount"].astype(np.float64)
    order = ["customer_id", "sample_id"] if kind == "sample" else ["customer_id"]
    return raw[[*order, "date", "n_cds", "amount"]]


def load_sbg_paper(*, verify: bool = True) -> pd.DataFrame:
    """Survivors out of 1000 by contract year, regular and high-end (introduced in notebook 03).

    From Fader and Hardie (2007), "How to project customer retention", Journal of Interactive
    Marketing 21(1): of 1000 customers who signed up in year 0, how many were still renewing
    at the start of each year 0..7. Columns ``year`` (int64), ``regular``, ``high_end``
    (int64 counts); the input of :func:`retainkit.survival.fit_sbg`.
    """
    return pd.read_csv(_path("sbg_paper", verify=verify), dtype=np.int64)


def load_movielens_100k(part: str = "ratings", *, verify: bool = True) -> pd.DataFrame:
    """MovieLens-100k of GroupLens, one tidy frame per ``part`` (introduced in notebook 09).

    The files of the ``recbole`` 1.2.1 wheel (``recbole/dataset_example/ml-100k/``), byte for
    byte: GroupLens's ``u.data`` and ``u.user`` as tab-separated files with a typed header,
    and ``u.item`` with the year split from the title and the genre flags as words.
    Licence: GroupLens's terms for MovieLens-100k (research use, no commercial use, no
    redistribution, cite Harper & Konstan 2015), so the files are not in the repository:
    ``make movielens`` fetches them once; until then this raises :class:`FileNotFoundError`
    naming that command. The loader never touches the network.

    - ``"ratings"`` (100,000 rows, in file order): ``user_id`` (int64, 1..943), ``item_id``
      (int64, 1..1682), ``rating`` (int64, 1..5 stars), ``timestamp`` (datetime64[ns, UTC],
      from the file's Unix seconds; 1997-09-20 to 1998-04-22). No user rated an item twice.
    - ``"items"`` (1,682 rows): ``item_id``, ``title`` (str; the year is not in it),
      ``release_year`` (nullable Int64), ``genres`` (str, "|"-separated, e.g.
      ``"Animation|Children's|Comedy"``; one of 19 genres, ``"unknown"`` included). The
      file's placeholder ``unkonwn`` (item 267) becomes a missing title and year, and item
      1412's year ``V`` a missing year.
    - ``"users"`` (943 rows): ``user_id``, ``age`` (int64, years), ``gender`` (``"M"`` or
      ``"F"``), ``occupation`` (str), ``zip_code`` (str: some are not numeric).

    Examples
    --------
    >>> ratings = load_movielens_100k()
    >>> len(ratings), ratings["user_id"].nunique(), ratings["item_id"].nunique()
    (100000, 943, 1682)
    >>> load_movielens_100k("items").loc[0, ["title", "genres"]].tolist()
    ['Toy Story', "Animation|Children's|Comedy"]
    """
    check_choice("part", part, MOVIELENS_PARTS)
    path = _path(f"movielens_{part}", verify=verify)
    raw = pd.read_csv(path, sep="\t", header=0, dtype=str, keep_default_na=False,
                      encoding="utf-8")
    raw.columns = [c.split(":")[0] for c in raw.columns]  # "user_id:token" -> "user_id"
    if part == "ratings":
        return pd.DataFrame({
            "user_id": raw["user_id"].astype(np.int64),
            "item_id": raw["item_id"].astype(np.int64),
            "rating": raw["rating"].astype(np.int64),
            "timestamp": pd.to_datetime(raw["timestamp"].astype(np.int64), unit="s", utc=True),
        })
    if part == "items":
        title = raw["movie_title"].where(raw["movie_title"] != "unkonwn")
        year = pd.to_numeric(raw["release_year"], errors="coerce").astype("Int64")
        return pd.DataFrame({
            "item_id": raw["item_id"].astype(np.int64),
            "title": title,
            "release_year": year,
            "genres": raw["class"].str.split().str.join("|"),
        })
    return pd.DataFrame({
        "user_id": raw["user_id"].astype(np.int64),
        "age": raw["age"].astype(np.int64),
        "gender": raw["gender"],
        "occupation": raw["occupation"],
        "zip_code": raw["zip_code"],
    })
