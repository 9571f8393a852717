# Airlock as a container: the service runs as its own non-root user (uid 875), state in a
# volume, the authoritative config mounted read-only. docs/deployment.md, "Containers".
#
# The image is built with the same command a Linux host uses, `airlock install --system`
# (its CI test: tests/e2e/test_trust_boundary.py), so the container holds exactly the
# layout a host install does: the service user, /etc/airlock (the pin, the config),
# /var/lib/airlock (0700), /run/airlock (the decision socket).
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md /opt/airlock-src/
COPY src /opt/airlock-src/src
# Airlock's code is root's: the agent can never rewrite the hook it is checked by.
RUN python -m venv /opt/airlock \
 && /opt/airlock/bin/pip install /opt/airlock-src \
 && ln -s /opt/airlock/bin/airlock /usr/local/bin/airlock \
 && rm -rf /opt/airlock-src \
 && /opt/airlock/bin/airlock install --system --no-start --uid 875

USER airlock
ENV AIRLOCK_HOME=/var/lib/airlock
VOLUME ["/var/lib/airlock"]
EXPOSE 875 6543 8751
HEALTHCHECK --interval=30s --timeout=5s \
  CMD ["/opt/airlock/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:875/v1/health', timeout=3)"]
# 0.0.0.0 inside the container; publish it on the host's loopback only (compose.yaml)
CMD ["/opt/airlock/bin/airlock", "serve", "--host", "0.0.0.0"]
