from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from podium.adapters.s3 import S3ObjectStore, require_csv_keys
from podium.errors import DataError


def test_write_read_list_round_trip(bucket: str) -> None:
    store = S3ObjectStore(bucket)
    uri = store.write_text("runs/r1/pairs.jsonl", '{"a": 1}\n', content_type="application/x-ndjson")
    store.write_text("runs/r1/report.json", "{}")
    store.write_text("runs/r2/report.json", "{}")

    assert uri == f"s3://{bucket}/runs/r1/pairs.jsonl"
    assert store.read_text("runs/r1/pairs.jsonl") == '{"a": 1}\n'
    assert store.list_keys("runs/r1/") == ["runs/r1/pairs.jsonl", "runs/r1/report.json"]
    assert store.exists("runs/r2/report.json")
    assert not store.exists("runs/r3/report.json")
    head = boto3.client("s3").head_object(Bucket=bucket, Key="runs/r1/pairs.jsonl")
    assert head["ContentType"] == "application/x-ndjson"


def test_writes_carry_their_checksum_in_a_header_not_an_aws_chunked_trailer(bucket: str) -> None:
    """botocore builds an aws-chunked body by concatenating 1 MB chunks onto a growing buffer
    (quadratic: ~10 s for the ~100 MB pairs file); a CRC32 header lets it send the body as is."""
    import base64
    import zlib

    client = boto3.client("s3")
    sent: list[dict[str, str]] = []
    client.meta.events.register(
        "before-send.s3.PutObject",
        lambda request, **_: sent.append(
            {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        ),
    )
    text = "Léon Marchand won the gold medal.\n" * 1000
    S3ObjectStore(bucket, client=client).write_text("runs/r1/pairs.jsonl", text)
    (headers,) = sent
    crc = base64.b64encode(zlib.crc32(text.encode("utf-8")).to_bytes(4, "big")).decode("ascii")
    assert headers["x-amz-checksum-crc32"] == crc
    assert "aws-chunked" not in headers.get("Content-Encoding", "") and "x-amz-trailer" not in headers
    assert S3ObjectStore(bucket).read_text("runs/r1/pairs.jsonl") == text


def test_read_missing_key_names_the_uri(bucket: str) -> None:
    with pytest.raises(FileNotFoundError, match=f"s3://{bucket}/runs/nope.json"):
        S3ObjectStore(bucket).read_text("runs/nope.json")


def test_list_keys_pages_past_one_thousand(bucket: str) -> None:
    client = boto3.client("s3")
    for n in range(1005):
        client.put_object(Bucket=bucket, Key=f"many/{n:05d}.txt", Body=b"x")
    keys = S3ObjectStore(bucket, client=client).list_keys("many/")
    assert len(keys) == 1005 and keys[-1] == "many/01004.txt"


def test_download_prefix_keeps_subfolders_and_skips_folder_markers(bucket: str, tmp_path: Path) -> None:
    store = S3ObjectStore(bucket)
    store.write_text("data/medals.csv", "a,b\n1,2\n", content_type="text/csv")
    store.write_text("data/extra/venues.csv", "v\nx\n", content_type="text/csv")
    store.write_text("data/empty-folder/", "")

    paths = store.download_prefix("data/", str(tmp_path))

    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in paths) == [
        "extra/venues.csv",
        "medals.csv",
    ]
    assert (tmp_path / "medals.csv").read_text() == "a,b\n1,2\n"


def test_download_prefix_refuses_keys_that_escape_the_folder(bucket: str, tmp_path: Path) -> None:
    store = S3ObjectStore(bucket)
    store.write_text("data/../../evil.csv", "x")
    with pytest.raises(DataError, match=r"escapes the download folder"):
        store.download_prefix("data/", str(tmp_path / "inner"))


def test_require_csv_keys_explains_how_to_upload(bucket: str) -> None:
    store = S3ObjectStore(bucket)
    store.write_text("data/readme.txt", "not a csv")
    with pytest.raises(DataError) as caught:
        require_csv_keys(store, "data")
    message = str(caught.value)
    assert f"no CSV files under s3://{bucket}/data/" in message
    assert "aws s3 sync" in message and f"s3://{bucket}/data/" in message

    store.write_text("data/medals.csv", "a\n1\n")
    assert require_csv_keys(store, "data/") == ["data/medals.csv"]
