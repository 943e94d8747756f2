package jinit.supervisor;

/**
 * What jobs tell init about themselves: the datagrams of the notify socket (systemd's sd_notify protocol) and the
 * newline on a ready fd (s6's). The backend reports who sent each, as the kernel vouches for it; the supervisor decides
 * which job, if any, that is.
 */
public interface Notifications {

    /**
     * A datagram on the notify socket.
     *
     * @param senderPid   the sending process, as SCM_CREDENTIALS gives it
     * @param senderGroup its process group when the datagram was read, or {@code senderPid} if it was gone by then
     * @param message     the datagram, decoded as UTF-8: newline-separated {@code KEY=VALUE} lines
     */
    void notified(int senderPid, int senderGroup, String message);

    /** The job started as {@code pid} wrote a newline to its ready fd. */
    void readyByFd(int pid);
}
