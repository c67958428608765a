"""kernel/consumers.py (ramoops, trace_instance) and kstrto: exact cases with their kernel
source, then fuzzing of the readers and of the MM4xx rules that ask them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from memmap_lint.engine.registry import load_rules
from memmap_lint.kernel.cmdline import parse
from memmap_lint.kernel.consumers import (
    instances,
    layout,
    mapped_range,
    ramoops_value,
    read_mapping,
)
from memmap_lint.kernel.misread import octal_meant, suffixed_size
from memmap_lint.kernel.release import kernel_for
from memmap_lint.kernel.sizes import kstrto
from memmap_lint.rule import HostContext

FOUR_K = {"record_size": 4096, "console_size": 4096, "ftrace_size": 4096, "pmsg_size": 4096}


def _instance(value: str) -> list[tuple[str, list[str], str | None, tuple[str, ...]]]:
    line = parse(f"trace_instance={value}")
    return [
        (i.name, [f for f, _ in i.flags], i.target, i.events) for i in instances(line.params[0])
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # kernel/trace/trace.c enable_instances() (K6.12): strchr('^'), strchr('@'), cut both.
        (
            "boot_map^traceoff@trace,sched,irq",
            [("boot_map", ["traceoff"], "trace", ("sched", "irq"))],
        ),
        ("boot_map@trace^traceoff", [("boot_map", ["traceoff"], "trace", ())]),
        ("a^x^^y", [("a", ["x", "", "y"], None, ())]),  # strsep yields the empty flag too
        ("a@", [("a", [], "", ())]),
        ("a@0x284500000:12M", [("a", [], "0x284500000:12M", ())]),
        ("@r", [("", [], "r", ())]),
        ('"a\tb@r"', [("a", [], None, ()), ("b", [], "r", ())]),  # values are tab-joined
    ],
)
def test_instances_split_as_enable_instances(
    value: str, expected: list[tuple[str, list[str], str | None, tuple[str, ...]]]
) -> None:
    assert _instance(value) == expected


def test_offsets_point_at_the_target_and_flags() -> None:
    text = "ro trace_instance=b@trace^printk"
    inst = instances(parse(text).params[1])[0]
    assert inst.target_offset is not None
    assert text[inst.target_offset :].startswith("trace^")
    assert text[inst.flags[0][1] :] == "printk"


@pytest.mark.parametrize(
    ("kind", "text", "value", "error"),
    [
        # lib/kstrtox.c: base 0, one '+', digits only, a trailing newline allowed.
        ("ulong", "1M", None, "EINVAL"),
        ("ulong", "0x100000", 0x100000, None),
        ("ulong", "010", 8, None),
        ("ulong", "+5", 5, None),
        ("ulong", "18446744073709551616", None, "ERANGE"),
        ("uint", "4294967296", None, "ERANGE"),
        ("int", "-1", -1, None),
        ("int", "-+1", None, "EINVAL"),  # kstrtoll: '-' then _kstrtoull, which skips no '+'
        ("int", "2147483648", None, "ERANGE"),
        ("int", "-2147483648", -(1 << 31), None),
        ("int", "0x7fffffff", 0x7FFFFFFF, None),
        ("int", "", None, "EINVAL"),
    ],
)
def test_kstrto(kind: str, text: str, value: int | None, error: str | None) -> None:
    r = kstrto(kind, text)
    assert (r.value, r.error) == (value, error)


def test_layout_defaults_fit_in_one_mib() -> None:
    # ramoops_probe(): 1 MiB - 3 * 4 KiB = 0xfd000 for dmesg: 253 records of 4 KiB.
    result = layout(1 << 20, FOUR_K, True)
    assert result.error is None
    assert (result.dmesg_count, result.dmesg_zone) == (253, 4096)


def test_layout_zone_size_is_area_over_count_aligned_to_two() -> None:
    # ramoops_init_przs(): zone_sz = ALIGN_DOWN(mem_sz / cnt, 2), not record_size.
    sizes = dict(FOUR_K, console_size=0, ftrace_size=0, pmsg_size=0)
    result = layout(3 * 4096 + 1001, sizes, True)
    assert result.error is None
    assert (result.dmesg_count, result.dmesg_zone) == (3, (3 * 4096 + 1001) // 3 & ~1)


def test_layout_count_is_an_unsigned_int() -> None:
    # *cnt = mem_sz / record_size truncates to 32 bits: 2^32 records of 1 byte -> 0.
    sizes = {"record_size": 1, "console_size": 0, "ftrace_size": 0, "pmsg_size": 0}
    assert layout(1 << 32, sizes, True).error == "dmesg record count == 0 (4294967296 / 1)"


u64 = st.integers(min_value=0, max_value=(1 << 64) - 1)


@settings(max_examples=300, deadline=None)
@given(u64, u64, u64, u64, u64, st.booleans())
def test_layout_never_overflows_its_region(
    mem: int, rec: int, con: int, ft: int, pm: int, pmsg_first: bool
) -> None:
    sizes = {"record_size": rec, "console_size": con, "ftrace_size": ft, "pmsg_size": pm}
    result = layout(mem, sizes, pmsg_first)
    if result.error is None:
        used = result.dmesg_count * result.dmesg_zone + sum(
            v for k, v in result.sizes.items() if k != "record_size"
        )
        assert used <= mem


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["ulong", "ullong", "uint", "int"]), st.text(max_size=30))
def test_kstrto_total(kind: str, text: str) -> None:
    r = kstrto(kind, text)
    assert (r.value is None) != (r.error is None)


CONSUMER_RULES = [
    r for r in load_rules(entry_points_too=False) if r.code.startswith(("MM4", "MM60"))
]
_alphabet = st.sampled_from(
    [
        "ramoops.mem_name=",
        "ramoops.mem_size=",
        "ramoops.record_size=",
        "ramoops.console_size=",
        "ramoops.mem_address=",
        "ramoops.bogus=",
        "reserve_mem=",
        "memmap=",
        "trace_instance=",
        "nokaslr",
        "mem=",
        " ",
        "--",
        "@",
        "^",
        ",",
        ":",
        "*",
        "$",
        "oops",
        "trace",
        "12M",
        "0x1000",
        "0",
        "4096",
        '"',
        "\t",
        "traceoff",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_alphabet, max_size=25).map("".join),
    st.sampled_from(["6.1.0-28-amd64", "6.8.0", "6.12.0-1-amd64", None]),
    st.booleans(),
)
def test_rules_give_findings_never_tracebacks(text: str, release: str | None, rfc: bool) -> None:
    kernel = kernel_for(release, ["memmap-wildcard"] if rfc else [])
    ctx = HostContext("h", parse(text), kernel, None, facts={"current_kernel": "6.1.0"})
    for rule in CONSUMER_RULES:
        for hit in rule.check(ctx):
            assert hit.message
            if hit.offset is not None:
                assert 0 <= hit.offset <= len(text)


@pytest.mark.parametrize(
    ("target", "mapped"),
    [
        # enable_instances() (6.12): isdigit(*tok) -> memparse(start), ':' , memparse(size).
        ("0x284500000:12M", (0x284500000, 0x284500000 + (12 << 20))),
        ("0x1000", None),  # "No size specified"
        ("0:12M", None),  # "Invalid boot instance address"
        ("0x1000:0", None),  # "Invalid boot instance size"
        ("trace", None),  # the region-name form
    ],
)
def test_mapped_range(target: str, mapped: tuple[int, int] | None) -> None:
    (inst,) = instances(parse(f"trace_instance=a@{target}").params[0])
    assert mapped_range(inst) == mapped
    assert inst.names_region == (target == "trace")


def test_mapping_reads_what_follows_the_size() -> None:
    m = read_mapping("0x1000:4Kjunk")
    assert (m.start.value, m.colon, m.size and m.size.value, m.trailing) == (0x1000, True, 4096, 9)


def test_ramoops_values_follow_the_last_accepted_occurrence() -> None:
    line = parse("ramoops.mem_size=0x100000 ramoops.mem_size=1M ramoops.record_size=010")
    # parse_args() sets each occurrence in turn; kstrtoul() rejects 1M without writing, so the
    # value set by the first occurrence stays.
    assert ramoops_value(line, "mem_size") == 0x100000
    assert ramoops_value(line, "record_size") == 8
    assert octal_meant("010", 8) == 10
    assert suffixed_size("1M") == 1 << 20 and suffixed_size("1Mx") is None
