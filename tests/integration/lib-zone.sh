# Helpers for tests that run containers with the zone CLI under a private
# ZONE_ROOT and ZONE_RUNTIME_DIR (sourced after tests/lib.sh).

# zone-vmm processes of this test (their --vsock is under our runtime dir)
vmm_pids() { pgrep -f -- "--vsock $ZONE_RUNTIME_DIR/" | tr '\n' ' ' | sed 's/ $//'; }

# zone_cleanup [PID...]: remove every container of this test, then kill by
# PID whatever survived: monitors recorded in the store, zone-vmms, and the
# PIDs given (helpers such as virtiofsd).
zone_cleanup() {
	local id p
	for id in $(timeout 10 "$ZONE" ps -a --format json 2>/dev/null | jq -r '.[].id' 2>/dev/null); do
		timeout 20 "$ZONE" rm -f "$id" >/dev/null 2>&1
	done
	for p in $(cat "$ZONE_ROOT"/containers/*/state.json 2>/dev/null | jq -r '.monitor_pid // empty'); do
		kill -9 "$p" 2>/dev/null
	done
	for p in $(vmm_pids) "$@"; do kill -9 "$p" 2>/dev/null; done
}
