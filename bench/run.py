"""emrtrack at national scale: a benchmark against the format's floor and against Taskwarrior.

    python bench/run.py [--sizes 5000,50000,200000] [--skip-largest] [--runs 5] [--out bench.json]
                        [--no-taskwarrior] [--markdown]

For each size it writes a deterministic synthetic national register (YAML, fixed seed) into a
temporary directory, then times whole processes (one warm-up, then --runs runs; median and spread)
and records each one's peak memory. The floors (`python -c "import typer"`, PyYAML's C loader on the
same file) and, when `task` is installed, Taskwarrior on the equivalent tasks are measured in the
same run, so the ratios compare like with like on the same machine at the same moment. A ratio whose
figures were not measured (no Taskwarrior, a size left out) says "not measured", never "met".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SEED = 2898
AS_OF = "2026-07-01"  # every report is dated, so that results do not depend on the day of the run
DEFAULT_DEADLINE = date(2025, 8, 31)
SPAN_START = date(2024, 7, 1)  # milestones are spread over two years before AS_OF
SPAN_DAYS = 729
MARK_ON = "2026-06-30"
OVERDUE_SHARE = 0.30

# -- synthetic names ---------------------------------------------------------------------------
PROVINCES = (
    "Hà Nội",
    "Hồ Chí Minh",
    "Hải Phòng",
    "Đà Nẵng",
    "Cần Thơ",
    "Nghệ An",
    "Thanh Hóa",
    "Hà Tĩnh",
    "Quảng Bình",
    "Quảng Trị",
    "Thừa Thiên Huế",
    "Quảng Nam",
    "Quảng Ngãi",
    "Bình Định",
    "Phú Yên",
    "Khánh Hòa",
    "Ninh Thuận",
    "Bình Thuận",
    "Kon Tum",
    "Gia Lai",
    "Đắk Lắk",
    "Đắk Nông",
    "Lâm Đồng",
    "Bình Phước",
    "Tây Ninh",
    "Bình Dương",
    "Đồng Nai",
    "Bà Rịa - Vũng Tàu",
    "Long An",
    "Tiền Giang",
    "Bến Tre",
    "Trà Vinh",
    "Vĩnh Long",
    "Đồng Tháp",
    "An Giang",
    "Kiên Giang",
    "Hậu Giang",
    "Sóc Trăng",
    "Bạc Liêu",
    "Cà Mau",
    "Hà Giang",
    "Cao Bằng",
    "Bắc Kạn",
    "Tuyên Quang",
    "Lào Cai",
    "Điện Biên",
    "Lai Châu",
    "Sơn La",
    "Yên Bái",
    "Hòa Bình",
    "Thái Nguyên",
    "Lạng Sơn",
    "Quảng Ninh",
    "Bắc Giang",
    "Phú Thọ",
    "Vĩnh Phúc",
    "Bắc Ninh",
    "Hải Dương",
    "Hưng Yên",
    "Thái Bình",
    "Hà Nam",
    "Nam Định",
    "Ninh Bình",
)
# Syllables from which place names (former districts, communes, wards) are built.
SYLLABLES = (
    "An",
    "Bình",
    "Cẩm",
    "Diễn",
    "Đô",
    "Đông",
    "Gia",
    "Hà",
    "Hải",
    "Hòa",
    "Hưng",
    "Hương",
    "Khánh",
    "Kim",
    "Lạc",
    "Lâm",
    "Long",
    "Lương",
    "Minh",
    "Mỹ",
    "Nam",
    "Nghĩa",
    "Ngọc",
    "Nhân",
    "Phú",
    "Phúc",
    "Phước",
    "Quang",
    "Quỳnh",
    "Sơn",
    "Tân",
    "Thạch",
    "Thanh",
    "Thạnh",
    "Thuận",
    "Tiên",
    "Trung",
    "Tường",
    "Vân",
    "Vĩnh",
    "Xuân",
    "Yên",
    "Đức",
    "Lộc",
    "Hồng",
    "Châu",
    "Cát",
    "Định",
)
SPECIALTIES = (
    ("Nhi", "Children's"),
    ("Sản Nhi", "Obstetrics and Paediatrics"),
    ("Phổi", "Lung"),
    ("Tâm thần", "Psychiatric"),
    ("Mắt", "Eye"),
    ("Y học cổ truyền", "Traditional Medicine"),
    ("Phục hồi chức năng", "Rehabilitation"),
    ("Ung bướu", "Oncology"),
    ("Nội tiết", "Endocrinology"),
    ("Da liễu", "Dermatology"),
    ("Răng Hàm Mặt", "Odonto-Stomatology"),
    ("Chấn thương Chỉnh hình", "Orthopaedic"),
)
BRANDS = (
    "Hoàn Mỹ",
    "Thiện Tâm",
    "An Bình",
    "Medlatec",
    "Hồng Đức",
    "Tâm Anh",
    "Phương Đông",
    "Thu Cúc",
    "Hợp Lực",
    "Minh Anh",
    "Việt Pháp",
    "Sài Gòn",
    "Quốc tế",
    "Gia An",
    "Hạnh Phúc",
)
FOUNDERS = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)


def fold(text: str) -> str:
    """The same folding as emrtrack's (lower case, no diacritics, đ as d, one space between words)."""
    text = text.replace("đ", "d").replace("Đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


def slug(text: str) -> str:
    return "-".join(fold(text).split())


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


@dataclass
class Synthetic:
    facility_id: str
    name: str
    aliases: list[str]
    ownership: str
    kind: str
    managed_by: str
    location: str
    verified: date | None
    milestones: dict[str, date]
    life: list[str] = field(default_factory=list)  # YAML lines of its later facts (exceptions, codes, names)


def _place(rng: random.Random) -> str:
    return f"{rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}"


def _facility(rng: random.Random, i: int) -> Synthetic:
    province = rng.choice(PROVINCES)
    place = _place(rng)
    roll = rng.random()
    if roll < 0.04:
        kind, ownership = "hospital", "public"
        if rng.random() < 0.5:
            name = f"Bệnh viện Đa khoa {place}"
            alias = f"{fold(place).title()} General Hospital"
        else:
            vi, en = rng.choice(SPECIALTIES)
            name = f"Bệnh viện {vi} {province}"
            alias = f"{fold(province).title()} {en} Hospital"
        aliases = [alias, "BV " + place]
        managed = rng.choice(("province", "ministry"))
    elif roll < 0.07:
        kind, ownership = "hospital", "non-public"
        name = f"Bệnh viện {rng.choice(BRANDS)} {place}"
        aliases = [f"{fold(name).title()} Hospital"]
        managed = "private"
    elif roll < 0.12:
        kind, ownership = "medical-centre", "public"
        name = f"Trung tâm Y tế {place}"
        aliases = [f"TTYT {place}", f"{fold(place).title()} Medical Centre"]
        managed = "province"
    elif roll < 0.16:
        kind, ownership = "specialised-centre", rng.choice(("public", "public", "non-public"))
        name = (
            rng.choice(
                (
                    "Trung tâm Kiểm soát bệnh tật",
                    "Trung tâm Huyết học - Truyền máu",
                    "Trung tâm Chẩn đoán Y khoa",
                    "Trung tâm Pháp y",
                )
            )
            + f" {place}"
        )
        aliases = [f"TT {place}"]
        managed = "province" if ownership == "public" else "private"
    elif roll < 0.62:
        kind, ownership = "clinic", "non-public"
        owner = f"{rng.choice(FOUNDERS)} {rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}"
        name = rng.choice(
            (
                f"Phòng khám Đa khoa {rng.choice(BRANDS)} {place}",
                f"Phòng khám Chuyên khoa {rng.choice(SPECIALTIES)[0]} {owner}",
                f"Phòng khám Nha khoa {owner}",
            )
        )
        aliases = [f"PK {place}"] if rng.random() < 0.5 else []
        managed = "private"
    elif roll < 0.70:
        kind, ownership = "clinic", "public"
        name = f"Phòng khám Đa khoa khu vực {place}"
        aliases = [f"PKĐKKV {place}"]
        managed = "province"
    else:
        kind, ownership = "other", "public" if roll < 0.95 else "non-public"
        name = (
            f"Trạm Y tế xã {place}" if ownership == "public" else f"Cơ sở dịch vụ y tế {rng.choice(FOUNDERS)} {place}"
        )
        aliases = [f"TYT {place}"] if ownership == "public" else []
        managed = "commune" if ownership == "public" else "private"
    # The register must name each facility unambiguously: the province makes it so in practice;
    # the running number makes it certain for a synthetic register.
    name = f"{name}, {province} ({i + 1})"
    # Milestones over two years; ~30% never deploy, so they are overdue under the default deadline.
    milestones: dict[str, date] = {}
    deployed = rng.random() >= OVERDUE_SHARE
    if deployed or rng.random() < 0.7:
        milestones["appraised"] = SPAN_START + timedelta(days=rng.randrange(0, SPAN_DAYS // 2))
    if deployed:
        start = milestones.get("appraised", SPAN_START)
        span = (SPAN_START + timedelta(SPAN_DAYS) - start).days
        milestones["deployed"] = start + timedelta(days=rng.randrange(0, span))
        if rng.random() < 0.5:
            left = (SPAN_START + timedelta(SPAN_DAYS) - milestones["deployed"]).days
            milestones["annex-signed"] = milestones["deployed"] + timedelta(days=rng.randrange(0, left + 1))
    verified = SPAN_START + timedelta(days=rng.randrange(0, SPAN_DAYS)) if rng.random() < 0.9 else None
    return Synthetic(
        f"{slug(province)}-{i + 1:06d}", name, aliases, ownership, kind, managed, province, verified, milestones
    )


EXCEPTION_SHARE = 0.10  # facilities with an exception (an extension, an exemption or a commitment)
RENAMED_SHARE = 0.05  # facilities with an official code and an earlier name


def _life(rng: random.Random, f: Synthetic, i: int) -> list[str]:
    """The later facts of some facilities, drawn apart from the rest so that the register stays as before."""
    lines: list[str] = []
    if rng.random() < RENAMED_SHARE:
        # a code per facility, unique however many there are (six digits, as a national scheme would need)
        lines.append(f'    codes: {{kcb: "{i + 1:06d}"}}')
        lines.append("    former_names:")
        lines.append(f"      - {{name: {_q(f.name + ' (cũ)')}, until: 2025-06-30}}")
    if rng.random() < EXCEPTION_SHARE:
        granted = SPAN_START + timedelta(days=rng.randrange(0, SPAN_DAYS // 2))
        basis = f"{{ref: {i + 1}/SYT-NVY, date: {granted.isoformat()}, issuer: Sở Y tế}}"
        kind = rng.choice(("extension", "exemption", "commitment"))
        when = granted + timedelta(days=rng.randrange(30, 240))
        if kind == "extension":
            dates = f"deadline: {when.isoformat()}"
        elif kind == "exemption":
            dates = f"from: {granted.isoformat()}, until: {when.isoformat()}"
        else:
            dates = f"date: {when.isoformat()}"
        lines.append("    exceptions:")
        lines.append(f"      - {{kind: {kind}, requirement: KH-EMR-2025, {dates}, basis: {basis}}}")
    return lines


def generate(n: int) -> list[Synthetic]:
    rng = random.Random(SEED)
    facilities = [_facility(rng, i) for i in range(n)]
    life = random.Random(SEED + 1)
    for i, f in enumerate(facilities):
        f.life = _life(life, f, i)
    return facilities


REQUIREMENTS_YAML = """\
requirements:
  - id: KH-EMR-2025
    title: "Kế hoạch triển khai bệnh án điện tử toàn quốc (synthetic)"
    issuer: Bộ Y tế
    issued: 2025-03-19
    deadline: 2025-08-31
    default: true
  - id: 13/2025/TT-BYT
    title: Hướng dẫn triển khai hồ sơ bệnh án điện tử
    issuer: Bộ Y tế
    issued: 2025-06-06
    in_force: 2025-07-21
    deadlines:
      - applies_to: {kind: [hospital]}
        deadline: 2025-09-30
      - deadline: 2026-12-31
  - id: CV-EMR-PUBLIC-2026
    title: "Public facilities: annex with Social Insurance (synthetic)"
    issuer: Bộ Y tế
    issued: 2025-10-01
    applies_to: {ownership: [public]}
    deadline: 2026-03-31
"""


def write_yaml(path: Path, facilities: list[Synthetic]) -> None:
    out = [
        "# Synthetic national EMR register for benchmarking (deterministic; not real facilities).",
        "register:",
        "  name: Sổ theo dõi bệnh án điện tử toàn quốc (synthetic)",
        "  timezone: Asia/Ho_Chi_Minh",
        "  code_schemes:",
        "    kcb: {label: Mã cơ sở KCB, pattern: '^[0-9]{6}$'}",
        "",
        REQUIREMENTS_YAML,
        "facilities:",
    ]
    for f in facilities:
        out.append(f"  - id: {f.facility_id}")
        out.append(f"    name: {_q(f.name)}")
        if f.aliases:
            out.append(f"    aliases: [{', '.join(_q(a) for a in f.aliases)}]")
        out.append(f"    ownership: {f.ownership}")
        out.append(f"    kind: {f.kind}")
        out.append(f"    managed_by: {f.managed_by}")
        out.append(f"    location: {_q(f.location)}")
        if f.verified:
            out.append(f"    verified: {f.verified.isoformat()}")
        out += f.life
        if f.milestones:
            out.append("    milestones: {" + ", ".join(f"{m}: {d.isoformat()}" for m, d in f.milestones.items()) + "}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def write_csv(path: Path, requirements_path: Path, facilities: list[Synthetic]) -> None:
    """The same register as a facility list in CSV (the documented columns) and its requirements in YAML."""
    import csv

    requirements_path.write_text(
        "register:\n  name: Sổ theo dõi bệnh án điện tử toàn quốc (synthetic)\n"
        "  timezone: Asia/Ho_Chi_Minh\n\n" + REQUIREMENTS_YAML,
        encoding="utf-8",
    )
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            (
                "id",
                "name",
                "aliases",
                "ownership",
                "kind",
                "managed_by",
                "location",
                "verified",
                "appraised",
                "deployed",
                "annex-signed",
            )
        )
        for fac in facilities:
            m = fac.milestones
            writer.writerow(
                (
                    fac.facility_id,
                    fac.name,
                    ";".join(fac.aliases),
                    fac.ownership,
                    fac.kind,
                    fac.managed_by,
                    fac.location,
                    fac.verified.isoformat() if fac.verified else "",
                    *(m[k].isoformat() if k in m else "" for k in ("appraised", "deployed", "annex-signed")),
                )
            )


def write_tasks(path: Path, facilities: list[Synthetic]) -> int:
    """The same facilities as Taskwarrior tasks, all pending: the ones not deployed are due on the
    default deadline (so overdue now), the others on a later follow-up date. Returns the overdue count."""
    rng = random.Random(SEED)
    overdue = 0
    with path.open("w", encoding="utf-8") as out:
        for f in facilities:
            deployed = "deployed" in f.milestones
            overdue += not deployed
            due = DEFAULT_DEADLINE if not deployed else date(2099, 12, 31)
            task = {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "status": "pending",
                "description": f.name,
                "entry": "20250319T000000Z",
                "due": due.strftime("%Y%m%dT000000Z"),
                "project": f"emr.{f.ownership}",
                "tags": [f.kind],
            }
            out.write(json.dumps(task, ensure_ascii=False) + "\n")
    return overdue


def pick_partial(facilities: list[Synthetic]) -> tuple[Synthetic, str]:
    """A facility not deployed and a folded part of its name that names it alone."""
    folded = ["\n".join(fold(n) for n in (f.name, *f.aliases)) for f in facilities]
    for i in range(len(facilities) // 3, len(facilities)):
        f = facilities[i]
        if "deployed" in f.milestones:
            continue
        words = fold(f.name).split()
        partial = " ".join(words[2:])  # e.g. "da khoa an binh nghe an 1234" without "benh vien"
        if sum(partial in s for s in folded) == 1:
            return f, partial
    raise SystemExit("no facility with a unique partial name")


def typo_of(facilities: list[Synthetic]) -> str:
    """A misspelt name that names no facility, so that the command ends in did-you-mean."""
    names = [fold(f.name) for f in facilities]
    joined = "\n".join(names)
    base = names[len(names) // 2]
    base = base.rsplit(" ", 1)[0]  # without the running number
    words = base.split()
    for i, w in enumerate(words):
        if len(w) >= 4:
            words[i] = w[:1] + w[2] + w[1] + w[3:]  # swap two letters
            break
    typo = " ".join(words) + "x"
    if typo in joined:
        raise SystemExit("typo names a facility")
    return typo


# -- running processes -------------------------------------------------------------------------
@dataclass
class Run:
    seconds: float
    max_rss_kib: int
    code: int
    stdout: bytes
    stderr: bytes


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> Run:
    """One whole process, stdout and stderr to pipes, and its peak memory.

    The peak comes from /usr/bin/time when present: a child forked from this (large) process would
    report this process's memory as its own peak, whereas one forked from `time` reports its own."""
    rss_file = cwd / ".maxrss"
    if GNU_TIME:
        argv = [GNU_TIME, "-f", "%M", "-o", str(rss_file), "--", *argv]
    start = time.perf_counter()
    p = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, cwd=cwd
    )
    got: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda k, s: got.__setitem__(k, s.read()), args=(k, s))
        for k, s in (("out", p.stdout), ("err", p.stderr))
    ]
    for t in readers:
        t.start()
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    for t in readers:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    if GNU_TIME:
        max_rss = int(rss_file.read_text().split()[-1])
        if p.returncode and got["err"].rstrip().endswith(b"exited with non-zero status " + str(p.returncode).encode()):
            got["err"] = got["err"].rstrip().rsplit(b"\n", 1)[0]
    else:  # an upper bound: includes this process's memory at the fork
        max_rss = int(usage.ru_maxrss)
    return Run(elapsed, max_rss, p.returncode, got["out"], got["err"])


@dataclass
class Measure:
    name: str
    argv: list[str]
    expect_code: int = 0
    prepare: object = None  # callable run before each run, untimed
    expect_in: bytes | None = None
    env: dict[str, str] | None = None  # this measure's own environment, instead of the size's

    def run(self, env: dict[str, str], cwd: Path, runs: int, warmup: int) -> dict[str, object]:
        times, rss, last = [], [], None
        for i in range(warmup + runs):
            if callable(self.prepare):
                self.prepare()
            r = run_once(self.argv, self.env if self.env is not None else env, cwd)
            if r.code != self.expect_code or (self.expect_in and self.expect_in not in r.stdout + r.stderr):
                raise SystemExit(
                    f"{self.name}: exit {r.code} (expected {self.expect_code})\n"
                    f"$ {' '.join(self.argv)}\n{r.stderr.decode(errors='replace')[-2000:]}"
                )
            last = r
            if i >= warmup:
                times.append(r.seconds)
                rss.append(r.max_rss_kib)
        assert last is not None
        return {
            "median_s": statistics.median(times),
            "min_s": min(times),
            "max_s": max(times),
            "spread_s": max(times) - min(times),
            "runs": times,
            "peak_mib": max(rss) / 1024,
            "stdout_bytes": len(last.stdout),
            "command": " ".join(self.argv),
        }


def bench_size(
    n: int, runs: int, warmup: int, taskwarrior: bool, keep: Path | None, shipped: bool = False
) -> dict[str, object]:
    """Every measure at one size; `shipped` adds the start-up on the shipped data (measured once, not per size)."""
    py = sys.executable
    tmp = Path(tempfile.mkdtemp(prefix=f"emrtrack-bench-{n}-"))
    try:
        facilities = generate(n)
        yaml_path = tmp / "national.yaml"
        write_yaml(yaml_path, facilities)
        target, partial = pick_partial(facilities)
        typo = typo_of(facilities)
        overdue_expected = sum("deployed" not in f.milestones for f in facilities)
        # one event per facility and per milestone, plus the 3 requirements and the register's name and time zone
        events_expected = n + sum(len(f.milestones) for f in facilities) + 3 + 3  # requirements, register facts
        db = tmp / "register.db"
        env = {**os.environ, "EMRTRACK_DB": str(db), "LC_ALL": "C.UTF-8"}
        env.pop("COLUMNS", None)
        env.pop("EMRTRACK_DEBUG", None)
        emr = [py, "-m", "emrtrack"]
        empty = tmp / "empty.db"
        subprocess.run(
            [
                py,
                "-c",
                "import sys; from pathlib import Path; from emrtrack.store import Register; "
                "Register.open(Path(sys.argv[1])).close()",
                str(empty),
            ],
            check=True,
        )

        def fresh_empty() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(empty, db)

        results: dict[str, dict[str, object]] = {}
        results["import typer"] = Measure("import typer", [py, "-c", "import typer"]).run(env, tmp, runs, warmup)
        if shipped:  # start-up on a register holding only the shipped data, created once, untimed
            shipped_env = {**env, "EMRTRACK_DB": str(tmp / "shipped.db")}
            subprocess.run([*emr, "status"], env=shipped_env, cwd=tmp, capture_output=True, check=True)
            results["status (shipped)"] = Measure(
                "status (shipped)", [*emr, "status", "--as-of", AS_OF], env=shipped_env
            ).run(env, tmp, runs, warmup)
        results["C-loader parse"] = Measure(  # the format's floor: the C loader alone, without the collector
            "C-loader parse",
            [
                py,
                "-c",
                "import gc,sys,yaml; gc.disable(); yaml.load(open(sys.argv[1],'rb'), Loader=yaml.CSafeLoader)",
                str(yaml_path),
            ],
        ).run(env, tmp, runs, warmup)
        results["load"] = Measure(
            "load", [*emr, "load", str(yaml_path)], prepare=fresh_empty, expect_in=f"Facilities: {n:,} added".encode()
        ).run(env, tmp, runs, warmup)
        loaded = tmp / "loaded.db"
        shutil.copyfile(db, loaded)
        csv_path, requirements_path = tmp / "national.csv", tmp / "requirements.yaml"
        write_csv(csv_path, requirements_path, facilities)
        results["load csv"] = Measure(
            "load csv",
            [*emr, "load", str(requirements_path), str(csv_path)],
            prepare=fresh_empty,
            expect_in=f"Facilities: {n:,} added".encode(),
        ).run(env, tmp, runs, warmup)
        for suffix in ("", "-wal", "-shm"):  # back to the register the YAML load gave
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(loaded, db)
        results["load (no-op)"] = Measure(
            "load (no-op)", [*emr, "load", str(yaml_path)], expect_in=b"Nothing changed"
        ).run(env, tmp, runs, warmup)
        results["status"] = Measure("status", [*emr, "status", "--as-of", AS_OF]).run(env, tmp, runs, warmup)
        report = [*emr, "report", "--overdue", "--as-of", AS_OF]
        results["report csv"] = Measure("report csv", [*report, "--format", "csv"]).run(env, tmp, runs, warmup)
        results["report json"] = Measure("report json", [*report, "--format", "json"]).run(env, tmp, runs, warmup)
        results["report table"] = Measure("report table", report).run(env, tmp, runs, warmup)
        results["report table --all"] = Measure("report table --all", [*report, "--all"]).run(env, tmp, 1, 0)

        def fresh_loaded() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(loaded, db)

        results["mark-deployed"] = Measure(
            "mark-deployed",
            [*emr, "mark-deployed", partial, "--on", MARK_ON, "--by", "bench"],
            prepare=fresh_loaded,
            expect_in=f"({target.facility_id}) deployed on {MARK_ON}".encode(),
        ).run(env, tmp, runs, warmup)
        fresh_loaded()
        results["did-you-mean"] = Measure(
            "did-you-mean", [*emr, "mark-deployed", typo, "--on", MARK_ON], expect_code=1, expect_in=b"Did you mean"
        ).run(env, tmp, runs, warmup)
        results["history"] = Measure("history", [*emr, "history", target.facility_id]).run(env, tmp, runs, warmup)
        fresh_loaded()  # verify and show read the register the YAML load gave
        results["verify"] = Measure(
            "verify", [*emr, "verify"], expect_in=f"ok: {events_expected:,} events checked".encode()
        ).run(env, tmp, runs, warmup)
        results["show"] = Measure(
            "show", [*emr, "show", target.facility_id, "--as-of", AS_OF], expect_in=target.facility_id.encode()
        ).run(env, tmp, runs, warmup)
        for fmt in ("yaml", "csv"):
            results[f"export {fmt}"] = Measure(
                f"export {fmt}", [*emr, "export", "--output", str(tmp / f"export.{fmt}")]
            ).run(env, tmp, runs, warmup)
        results["--help"] = Measure("--help", [*emr, "--help"]).run(env, tmp, runs, warmup)

        csv_rows = (
            subprocess.run(
                [*report, "--format", "csv"], env=env, capture_output=True, check=True, cwd=tmp
            ).stdout.count(b"\n")
            - 1
        )
        if csv_rows != overdue_expected:
            raise SystemExit(f"report --overdue gave {csv_rows} rows, expected {overdue_expected}")
        check = subprocess.run(
            [
                py,
                "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                "print(c.execute('select count(*) from events').fetchone()[0])",
                str(loaded),
            ],
            capture_output=True,
            check=True,
            text=True,
        )
        facts = {
            "facilities": n,
            "overdue": overdue_expected,
            "events": int(check.stdout),
            "events_expected": events_expected,
            "yaml_bytes": yaml_path.stat().st_size,
            "mark_target": partial,
            "typo": typo,
        }

        if taskwarrior and shutil.which("task"):
            tasks_path = tmp / "tasks.json"
            tw_overdue = write_tasks(tasks_path, facilities)
            tw_dir = tmp / "taskdata"
            taskrc = tmp / "taskrc"
            taskrc.write_text(
                f"data.location={tw_dir}\nconfirmation=off\nverbose=nothing\n"
                "hooks=off\nrecurrence=off\nnews.version=2.6.0\n",
                encoding="utf-8",
            )
            tw_env = {**env, "TASKRC": str(taskrc), "TASKDATA": str(tw_dir)}
            tw = ["task", "rc.confirmation=off", "rc.verbose=nothing", "rc.hooks=off"]

            def fresh_tw() -> None:
                shutil.rmtree(tw_dir, ignore_errors=True)
                tw_dir.mkdir()

            results["task import"] = Measure("task import", [*tw, "import", str(tasks_path)], prepare=fresh_tw).run(
                tw_env, tmp, runs, warmup
            )
            results["task +OVERDUE count"] = Measure(
                "task +OVERDUE count", [*tw, "+OVERDUE", "count"], expect_in=str(tw_overdue).encode()
            ).run(tw_env, tmp, runs, warmup)
            results["task overdue"] = Measure("task overdue", [*tw, "overdue"]).run(tw_env, tmp, runs, warmup)
        if keep is not None:
            dest = keep / f"size-{n}"
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(tmp, dest)
        return {"facts": facts, "commands": results}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- ratios ------------------------------------------------------------------------------------
EMRTRACK_COMMANDS = (
    "load",
    "load (no-op)",
    "load csv",
    "status",
    "report csv",
    "report json",
    "report table",
    "mark-deployed",
    "did-you-mean",
    "history",
    "verify",
    "show",
    "export yaml",
    "export csv",
    "--help",
)
LOADS = ("load", "load (no-op)", "load csv")
DAILY_COMMANDS = ("status", "report csv", "report json", "report table", "mark-deployed", "history", "show")
MID, LARGE = 50_000, 200_000  # the sizes the targets name

Results = dict[int, dict[str, object]]


def _figure(sizes: Results, n: int, name: str, key: str) -> float | None:
    """One figure of one command at one size, or None when that size or command was not measured."""
    size = sizes.get(n)
    c = size["commands"].get(name) if size else None  # type: ignore[attr-defined]
    return c[key] if c else None


def _row(label: str, n: int, value: float | None, limit: float) -> dict[str, object]:
    return {"ratio": label, "size": n, "value": value, "limit": limit, "met": None if value is None else value <= limit}


def ratios(sizes: Results) -> list[dict[str, object]]:
    """The targets, each at the size it names; a target whose figures were not measured has met None."""
    big, small = max(sizes), min(sizes)

    def med(n: int, name: str) -> float | None:
        return _figure(sizes, n, name, "median_s")

    def rel(label: str, n: int, a: str, b: str, limit: float) -> dict[str, object]:
        x, y = med(n, a), med(n, b)
        return _row(label, n, x / y if x is not None and y else None, limit)

    def seconds(name: str, n: int, limit: float) -> dict[str, object]:
        return _row(f"{name} seconds", n, med(n, name), limit)

    def peak(name: str, n: int, limit: float) -> dict[str, object]:
        return _row(f"{name} peak MiB", n, _figure(sizes, n, name, "peak_mib"), limit)

    out = [
        rel("status / task +OVERDUE count", MID, "status", "task +OVERDUE count", 0.5),
        rel("report csv / task overdue", MID, "report csv", "task overdue", 0.5),
        rel("load csv / task import", MID, "load csv", "task import", 0.7),
        rel("load / C-loader parse", MID, "load", "C-loader parse", 1.0),
        rel("load / C-loader parse", LARGE, "load", "C-loader parse", 1.0),
        seconds("verify", MID, 1.0),
        seconds("mark-deployed", MID, 0.4),
        seconds("did-you-mean", MID, 0.6),
        rel("--help / import typer", big, "--help", "import typer", 1.5),
        rel("status (shipped) / import typer", small, "status (shipped)", "import typer", 2.5),
    ]
    out += [seconds(name, big, 1.0) for name in DAILY_COMMANDS]
    # growth from 50,000 to the largest size; not measured unless both were, and the largest is larger
    far = big if big > MID else LARGE
    for name in DAILY_COMMANDS:
        a, b = med(MID, name), med(far, name)
        out.append(_row(f"growth {MID}->{far}: {name}", far, b / a if a and b is not None else None, 4.5))
    for name in ("load", "load csv"):
        out += [peak(name, MID, 200), peak(name, LARGE, 250)]
    out += [peak(name, big, 100) for name in EMRTRACK_COMMANDS if name not in LOADS]
    return out


VERDICTS: dict[bool | None, str] = {True: "met", False: "NOT MET", None: "not measured"}


def _names(sizes: Results) -> list[str]:
    """Every command measured at any size, in the order measured."""
    names: dict[str, None] = {}
    for size in sizes.values():
        names.update(dict.fromkeys(size["commands"]))  # type: ignore[call-overload]
    return list(names)


def print_table(sizes: Results, rows: list[dict[str, object]]) -> None:
    width = max(len(name) for name in _names(sizes)) + 2
    cell = 30  # median, spread and peak of one size
    print(f"{'':<{width}}" + "".join(f"{f'{n:,} facilities':>{cell}}" for n in sizes))
    header = f"{'command':<{width}}" + f"{'median s':>10}{'spread s':>10}{'peak MiB':>10}" * len(sizes)
    print(header)
    print("-" * len(header))
    for name in _names(sizes):
        line = f"{name:<{width}}"
        for n in sizes:
            c = sizes[n]["commands"].get(name)  # type: ignore[attr-defined]
            line += f"{c['median_s']:>10.3f}{c['spread_s']:>10.3f}{c['peak_mib']:>10.1f}" if c else f"{'-':>10}" * 3
        print(line)
    print()
    label = max(len(str(r["ratio"])) for r in rows) + 2
    for r in rows:
        v = r["value"]
        shown = "n/a" if v is None else f"{v:.3f}"
        size = f"{r['size']:,}"
        print(f"{r['ratio']:<{label}} at {size:>7} {shown:>9}  <= {r['limit']:<6} {VERDICTS[r['met']]}")  # type: ignore[index]


def print_markdown(sizes: Results, rows: list[dict[str, object]]) -> None:
    """The same figures as two Markdown tables: the commands (median and peak per size), then the ratios."""
    head = ["command", *(f"{n:,} {what}" for n in sizes for what in ("median s", "peak MiB"))]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---", *["---:"] * (len(head) - 1)]) + "|")
    for name in _names(sizes):
        cells = [name]
        for n in sizes:
            c = sizes[n]["commands"].get(name)  # type: ignore[attr-defined]
            cells += [f"{c['median_s']:.3f}", f"{c['peak_mib']:.1f}"] if c else ["-", "-"]
        print("| " + " | ".join(cells) + " |")
    print()
    print("| ratio | size | value | limit | verdict |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        v = r["value"]
        shown = "-" if v is None else f"{v:.3f}"
        print(f"| {r['ratio']} | {r['size']:,} | {shown} | {r['limit']} | {VERDICTS[r['met']]} |")  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="5000,50000,200000", help="comma-separated numbers of facilities")
    ap.add_argument("--skip-largest", action="store_true", help="leave out the largest of the sizes (a quick run)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (after the warm-up)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs before the timed ones")
    ap.add_argument("--out", type=Path, help="write every figure as JSON to this file")
    ap.add_argument("--no-taskwarrior", action="store_true", help="do not measure Taskwarrior")
    ap.add_argument("--keep", type=Path, help="keep the generated files and registers in this directory")
    ap.add_argument("--markdown", action="store_true", help="print the tables in Markdown (for the README)")
    args = ap.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if args.skip_largest:
        sizes = sizes[:-1]
    if not sizes or min(sizes) < 10:
        ap.error("--sizes needs numbers of at least 10 (and two sizes or more with --skip-largest)")
    results: Results = {}
    failed: dict[int, str] = {}  # a size where a command failed: the others are measured and kept all the same
    for n in sizes:
        print(f"measuring {n} facilities...", file=sys.stderr, flush=True)
        try:
            results[n] = bench_size(
                n, args.runs, args.warmup, not args.no_taskwarrior, args.keep, shipped=n == sizes[0]
            )
        except SystemExit as e:
            failed[n] = str(e)
            print(f"{n} facilities: FAILED: {e}", file=sys.stderr, flush=True)
        if args.out:  # after each size, so that a long run's figures are never lost
            write_json(args, results, failed)
    if not results:
        return 1
    rows = ratios(results)
    (print_markdown if args.markdown else print_table)(results, rows)
    if args.out:
        write_json(args, results, failed, rows)
    return 1 if failed else 0


def write_json(
    args: argparse.Namespace, results: Results, failed: dict[int, str], rows: list[dict[str, object]] | None = None
) -> None:
    doc = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "taskwarrior": subprocess.run(["task", "--version"], capture_output=True, text=True).stdout.strip()
        if shutil.which("task") and not args.no_taskwarrior
        else None,
        "peak_memory_from": "/usr/bin/time %M" if GNU_TIME else "wait4 ru_maxrss (upper bound)",
        "seed": SEED,
        "as_of": AS_OF,
        "runs": args.runs,
        "warmup": args.warmup,
        "sizes": {str(n): r for n, r in results.items()},
        "failed": {str(n): message for n, message in failed.items()},
        "ratios": rows,
    }
    args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
