"""The hostops packs: verb, risk and locator of each command (host tools)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk
from airlock.classify.packs.hostops import PACKS
from tests.classify.packs.support import run_pack

R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

CASES = [
    ('crontab -r', 'crontab.remove', D, 'cron:user:current'),
    ('crontab -u deploy -r', 'crontab.remove', D, 'cron:user:deploy'),
    ('crontab mycron.txt', 'crontab.replace', D, 'cron:user:current'),
    ('crontab -', 'crontab.replace', D, 'cron:user:current'),
    ('crontab -l', 'crontab.list', R, 'cron:user:current'),
    ('crontab -u deploy -l', 'crontab.list', R, 'cron:user:deploy'),
    ('crontab -e', 'crontab.edit', W, 'cron:user:current'),
    ('systemctl stop nginx', 'systemctl.stop', D, 'systemd:nginx'),
    ('systemctl disable --now postgresql', 'systemctl.disable', D, 'systemd:postgresql'),
    ('systemctl --user mask foo.service', 'systemctl.mask', D, 'systemd:user:foo.service'),
    ('systemctl kill -s KILL nginx', 'systemctl.kill', D, 'systemd:nginx'),
    ('systemctl reboot', 'systemctl.reboot', D, 'systemd:host'),
    ('systemctl isolate rescue.target', 'systemctl.isolate', D, 'systemd:host'),
    ('systemctl status nginx', 'systemctl.status', R, 'systemd:*'),
    ('systemctl list-units --failed', 'systemctl.list-units', R, 'systemd:*'),
    ('systemctl is-active nginx', 'systemctl.is-active', R, 'systemd:*'),
    ('systemctl restart nginx', 'systemctl.restart', W, 'systemd:nginx'),
    ('systemctl enable nginx', 'systemctl.enable', W, 'systemd:nginx'),
    ('systemctl daemon-reload', 'systemctl.daemon-reload', W, 'systemd:host'),
    ('service nginx stop', 'service.stop', D, 'systemd:nginx'),
    ('service nginx status', 'service.status', R, 'systemd:*'),
    ('service nginx restart', 'service.restart', W, 'systemd:nginx'),
    ('iptables -F', 'iptables.F', D, 'netfilter:ip:filter'),
    ('iptables -t nat --flush', 'iptables.flush', D, 'netfilter:ip:nat'),
    ('iptables -X', 'iptables.X', D, 'netfilter:ip:filter'),
    ('iptables -P INPUT DROP', 'iptables.P', D, 'netfilter:ip:filter'),
    ('ip6tables -F', 'iptables.F', D, 'netfilter:ip6:filter'),
    ('iptables-restore rules.v4', 'iptables.restore', D, 'netfilter:ip:*'),
    ('iptables-restore --noflush rules.v4', 'iptables.restore.noflush', W, 'netfilter:ip:*'),
    ('iptables -A INPUT -p tcp --dport 22 -j ACCEPT', 'iptables.rule', W, 'netfilter:ip:filter'),
    ('iptables -D INPUT 3', 'iptables.rule', W, 'netfilter:ip:filter'),
    ('iptables -L -n -v', 'iptables.list', R, 'netfilter:ip:filter'),
    ('iptables -S', 'iptables.list', R, 'netfilter:ip:filter'),
    ('iptables-save', 'iptables.list', R, 'netfilter:ip:filter'),
    ('nft flush ruleset', 'nft.flush', D, 'netfilter:nft:ruleset'),
    ('nft delete table inet filter', 'nft.delete', D, 'netfilter:nft:ruleset'),
    ('nft -f missing.conf', 'nft.file', D, 'netfilter:nft:ruleset'),
    ('nft list ruleset', 'nft.list', R, 'netfilter:nft:ruleset'),
    ('nft add rule inet filter input tcp dport 22 accept', 'nft.add', W, 'netfilter:nft:ruleset'),
    ('pg_dropcluster --stop 15 main', 'pg_dropcluster', D, 'postgresql-cluster:15/main'),
    ('pg_ctlcluster 15 main stop', 'pg_ctlcluster.stop', D, 'postgresql-cluster:15/main'),
    ('pg_ctlcluster 15 main restart', 'pg_ctlcluster.restart', W, 'postgresql-cluster:15/main'),
    # signals: one process is everyday, every process is not
    ('kill -9 -1', 'kill.all', D, 'process:*'),
    ('kill -s TERM -- -1', 'kill.all', D, 'process:*'),
    ('kill -KILL 1', 'kill.all', D, 'process:*'),
    ('kill 0', 'kill.all', D, 'process:*'),
    ('kill $PID', 'kill.dynamic', D, 'process:$?'),
    ('kill -HUP 48213', 'kill.signal', W, 'process:48213'),
    ('kill %1', 'kill.signal', W, 'process:%1'),
    ('kill -- -4321', 'kill.signal', W, 'process:-4321'),
    ('kill -l', 'kill.list', R, ''),
    ('pkill -f vite', 'pkill.signal', W, 'process:vite'),
    ('pkill -u deploy', 'pkill.all', D, 'process:*'),
    ('pkill -9 -f .', 'pkill.all', D, 'process:*'),
    ('pkill $NAME', 'pkill.dynamic', D, ''),
    ('killall node', 'killall.signal', W, 'process:node'),
    ('killall5 -9', 'killall5.all', D, 'process:*'),
]


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES)
def test_classify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    targets = run_pack(PACKS, line, tmp_path)
    worst = max(targets, key=lambda t: t.risk)
    assert (worst.verb, worst.risk) == (verb, risk), targets
    if locator:
        assert worst.locator == locator.replace("{cwd}", str(tmp_path)), targets
