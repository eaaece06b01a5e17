# ForceCommand for a harness sshd that stands for a restricted account: every command runs except a
# shell reading its program from stdin (what infrakt's persistent shell asks for), which is refused.
case "$SSH_ORIGINAL_COMMAND" in
  'exec /bin/sh' | 'exec /bin/sh '*) echo 'interactive shells are not allowed here' >&2; exit 1 ;;
esac
exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
