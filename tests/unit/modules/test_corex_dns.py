"""corex dns_cache / dns_file: records parsed, answered before the system resolver (which
the tests forbid), expiry, blocklisted names, -c errors for bad records."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.modules import corex_dns
from siprouter.runtime import forward


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the system resolver was asked")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    corex_dns.reset()
    yield
    corex_dns.reset()


def test_records_answer_before_the_resolver() -> None:
    corex_dns.add_record("type=A;name=Node.Test;addr=127.0.0.9;ttl=0;flags=0")
    corex_dns.add_record("type=AAAA;name=node.test;addr=::1")
    corex_dns.add_record("type=AAAA;name=six.test;addr=::2")
    assert forward.resolve("node.TEST") == ("127.0.0.9", 4)
    assert forward.resolve("six.test") == ("::2", 6)
    assert forward.resolve("10.0.0.1") == ("10.0.0.1", 4)  # literals need no table


def test_blocklisted_and_expired() -> None:
    corex_dns.add_record("type=A;name=blocked.test;addr=127.0.0.9;flags=1")
    assert forward.resolve("blocked.test") is None
    rec = corex_dns.parse_record("type=A;name=old.test;addr=127.0.0.9;ttl=10", now=0.0)
    corex_dns.TABLE["old.test"] = [rec]
    assert corex_dns.lookup("old.test") is None  # expired: the resolver would be asked
    perm = corex_dns.parse_record("type=A;name=p.test;addr=127.0.0.9;ttl=10;flags=2", now=0.0)
    assert perm.expires is None


@pytest.mark.parametrize(
    "text",
    [
        "type=X;name=a.test;addr=127.0.0.1",
        "type=A;name=a.test;addr=notanip",
        "type=A;addr=127.0.0.1",
        "type=AAAA;name=a.test;addr=127.0.0.1",
        "type=SRV;name=_sip._udp.a.test;addr=b.test;port=5060",
        "type=A;name=a.test;addr=127.0.0.1;ttl=x",
    ],
)
def test_bad_records(text: str) -> None:
    with pytest.raises(ValueError):
        corex_dns.parse_record(text)


def test_modparams_and_check(tmp_path: Path) -> None:
    f = tmp_path / "hosts.dns"
    f.write_text("# comment\n\ntype=A;name=file.test;addr=127.0.0.7\n")
    cfg = (
        'loadmodule "corex"\n'
        'modparam("corex", "dns_cache", "type=A;name=param.test;addr=127.0.0.6")\n'
        f'modparam("corex", "dns_file", "{f}")\n'
        "request_route { exit; }\n"
    )
    compile_config(parse_string(cfg, "d.cfg"))
    assert forward.resolve("param.test") == ("127.0.0.6", 4)
    assert forward.resolve("file.test") == ("127.0.0.7", 4)
    bad = cfg.replace("addr=127.0.0.6", "addr=bad")
    with pytest.raises(ConfigError):
        compile_config(parse_string(bad, "d.cfg"))
    missing = cfg.replace(str(f), str(tmp_path / "nope"))
    with pytest.raises(ConfigError):
        compile_config(parse_string(missing, "d.cfg"))
