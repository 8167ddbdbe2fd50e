#!/bin/sh
# Runs a command in a private network namespace that nothing can leave: loopback plus a veth pair
# (10.213.0.1/24 and 10.213.0.2/24) with the default route into it. Chromium's WebRTC never gathers
# loopback ICE candidates and, outside a namespace, would use the machine's real interface; here it
# gets a non-loopback interface that ends inside the namespace.
#
# Needs root (CI runs as root). Usage: scripts/netns-run.sh <command> [args...]
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 64
fi

if [ "${DOCPEER_NETNS:-}" = "1" ]; then
  # already inside: run the command as it is
  exec "$@"
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "$0: creating a network namespace needs root (unshare -n)" >&2
  exit 77
fi

exec unshare -n sh -eu -c '
  ip link set lo up
  ip link add veth0 type veth peer name veth1
  ip addr add 10.213.0.1/24 dev veth0
  ip addr add 10.213.0.2/24 dev veth1
  ip link set veth0 up
  ip link set veth1 up
  ip route add default dev veth0
  DOCPEER_NETNS=1 exec "$@"
' netns-run "$@"
