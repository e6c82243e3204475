"""Bounds on an input file, checked before it is read (no Django: the engine runs without the platform).

A file larger than MAX_FILE_BYTES, an .xlsx whose parts declare more than MAX_INFLATED_BYTES inflated, a part
compressed implausibly well (a zip bomb), or a part that inflates to more than it declares (forged headers)
is refused with a message saying which limit and by how much, in bounded memory and time. Rows and columns
are checked by the readers against MAX_ROWS and MAX_COLUMNS. The platform's intake uses the same zip checks
with its own configured limits (`gaoqi.intake.files`).
"""

from __future__ import annotations

import copy
import os
import zipfile
import zlib
from pathlib import Path

MAX_FILE_BYTES = int(os.environ.get("GAOQI_EVALUATE_MAX_MB", "60")) * 2**20
MAX_INFLATED_BYTES = 10 * MAX_FILE_BYTES
MAX_ROWS = 1_000_000
MAX_COLUMNS = 500
MAX_RATIO = 200  # inflated / compressed: real sheets stay under ~20, a zip bomb is in the thousands
RATIO_FLOOR = 8 * 2**20  # small parts may compress better than that (a sheet of zeros)
CHUNK = 4 * 2**20


class InputTooLarge(Exception):
    """The file breaks a limit; the message says which one."""


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


def zip_problem(z: zipfile.ZipFile, inflated_cap: int) -> str | None:
    """What is wrong with an archive's sizes (declared and real), or None. Reads each part once in chunks."""
    total = 0
    for info in z.infolist():
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return (
                f"压缩比异常（{info.filename} 解压后 {_mb(info.file_size)}，压缩后仅 {_mb(info.compress_size)}），"
                "疑似压缩炸弹，已拒绝读取"
            )
    if total > inflated_cap:
        return f"解压后大小 {_mb(total)} 超过上限 {_mb(inflated_cap)}"
    for info in z.infolist():
        if problem := declared_size_problem(z, info):
            return problem
    return None


def declared_size_problem(z: zipfile.ZipFile, info: zipfile.ZipInfo, on_chunk=None) -> str | None:
    """A part that inflates to more than its header declares (the Excel reader would trust the data): read
    past the declared end, in chunks, and stop at the first byte too many. `on_chunk(bytes)` sees every chunk
    within the declared size (a caller scanning the part reads it in the same pass)."""
    probe = copy.copy(info)
    probe.file_size = info.file_size + CHUNK + 1
    produced = 0
    try:
        with z.open(probe) as member:
            while chunk := member.read(CHUNK):
                produced += len(chunk)
                if produced > info.file_size:
                    return (
                        f"{info.filename} 声明解压后 {info.file_size:,} 字节，实际更大：压缩文件头被篡改，"
                        "疑似压缩炸弹，已拒绝读取"
                    )
                if on_chunk is not None:
                    on_chunk(chunk)
    except zipfile.BadZipFile as exc:
        if produced == info.file_size and "CRC" not in str(exc):
            return None
        return f"文件已损坏，无法解压（{info.filename}：{exc}）"
    except (EOFError, zlib.error, NotImplementedError) as exc:
        return f"文件已损坏，无法解压（{info.filename}：{exc}）"
    return None


def check_file(path: str | Path) -> None:
    """InputTooLarge unless `path` is within the limits (an .xlsx checked without being unpacked)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return  # the reader says the file is missing
    if size > MAX_FILE_BYTES:
        raise InputTooLarge(f"文件大小 {size / 2**20:.1f} MB 超过上限 {_mb(MAX_FILE_BYTES)}")
    with open(path, "rb") as fh:
        is_zip = fh.read(4) == b"PK\x03\x04"
    if not is_zip:
        return
    try:
        with zipfile.ZipFile(path) as z:
            problem = zip_problem(z, MAX_INFLATED_BYTES)
    except (zipfile.BadZipFile, OSError):
        return  # not an archive after all: the reader reports the broken file
    if problem:
        raise InputTooLarge(problem)


def check_shape(rows: int, columns: int) -> None:
    if rows > MAX_ROWS:
        raise InputTooLarge(f"行数 {rows:,} 超过上限 {MAX_ROWS:,}")
    if columns > MAX_COLUMNS:
        raise InputTooLarge(f"列数 {columns:,} 超过上限 {MAX_COLUMNS:,}")
