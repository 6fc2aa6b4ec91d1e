"""ObjectStore on Amazon S3.

Encryption is the bucket's default (SSE-KMS, set by the stack), so no key is named
here. boto3 honours AWS_ENDPOINT_URL_S3, which is how rehearsal points this at moto.
"""

from __future__ import annotations

import base64
import os
import zlib
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import ClientError

from podium.adapters.ports import ObjectStore
from podium.errors import DataError

_MISSING_KEY_CODES = {"NoSuchKey", "404", "NotFound"}
# Objects written as scratch carry this tag; the stack's lifecycle rule expires them early.
SCRATCH_TAG = ("podium:retention", "scratch")


class S3ObjectStore:
    """Keys are relative to the project bucket, e.g. "runs/<run_id>/train.jsonl"."""

    def __init__(self, bucket: str, client: Any | None = None) -> None:
        if not bucket:
            raise ValueError("bucket must be a non-empty bucket name")
        self.bucket = bucket
        if client is None:
            import boto3

            client = boto3.client("s3")
        self._s3 = client

    def __repr__(self) -> str:
        return f"S3ObjectStore(bucket={self.bucket!r})"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def read_text(self, key: str) -> str:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING_KEY_CODES:
                raise FileNotFoundError(f"{self.uri(key)} does not exist") from None
            raise
        return response["Body"].read().decode("utf-8")

    def write_text(self, key: str, text: str, content_type: str = "application/json", *, scratch: bool = False) -> str:
        # A PUT is all-or-nothing: readers never see half an object.
        extra = {"Tagging": urlencode([SCRATCH_TAG])} if scratch else {}
        body = text.encode("utf-8")
        # The CRC32 checksum S3 verifies, computed here and sent as a header: left to botocore,
        # it goes in a trailer of an aws-chunked body, which botocore builds by concatenating
        # 1 MB chunks onto a growing buffer (quadratic: seconds for the ~100 MB pairs file).
        checksum = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode("ascii")
        self._s3.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, ChecksumCRC32=checksum, **extra
        )
        return self.uri(key)

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING_KEY_CODES:
                return False
            raise
        return True

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", ()))
        return sorted(keys)

    def download_prefix(self, prefix: str, destination: str) -> list[str]:
        """Copy every object under `prefix` into `destination`, keeping sub-folders."""
        root = Path(destination).resolve()
        paths: list[str] = []
        for key in self.list_keys(prefix):
            if key.endswith("/"):
                continue  # a console-made "folder" marker, not data
            relative = PurePosixPath(key[len(prefix) :].lstrip("/"))
            if ".." in relative.parts:
                raise DataError(
                    "object key escapes the download folder",
                    file=self.uri(key),
                    hint="rename the object without '..' path segments",
                )
            local = root.joinpath(*relative.parts)
            local.parent.mkdir(parents=True, exist_ok=True)
            # s3transfer writes to a temporary name and renames: never a half file.
            self._s3.download_file(self.bucket, key, os.fspath(local))
            paths.append(os.fspath(local))
        return paths


def require_csv_keys(store: ObjectStore, prefix: str) -> list[str]:
    """The CSV keys under `prefix`; a DataError saying how to upload them when there are none.

    Called before anything is spent (Prepare) and by the built-in generator.
    """
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    keys = [key for key in store.list_keys(prefix) if key.lower().endswith(".csv")]
    if not keys:
        where = store.uri(prefix)
        raise DataError(
            f"no CSV files under {where} — upload the Kaggle CSVs with "
            f"`aws s3 sync <folder with the Paris 2024 CSVs> {where}`"
        )
    return keys


__all__ = ["S3ObjectStore", "require_csv_keys"]
