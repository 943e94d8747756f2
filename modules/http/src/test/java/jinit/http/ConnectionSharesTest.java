package jinit.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jinit.supervisor.Caller;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The arithmetic of the shares; the daemon-level attacks are in the boot module's ConnectionSharesTest. */
class ConnectionSharesTest {

    @Test
    void theShippedLimitsLeaveRootTheReserveBeyondTheIdlePool() {
        assertEquals(new ConnectionShares.Limits(64, 2048 - 256 - 128), ConnectionShares.Limits.of(2048, 128));
        assertEquals(new ConnectionShares.Limits(16, 16), ConnectionShares.Limits.of(400, 128), "a small server: the user share shrinks too");
        assertEquals(new ConnectionShares.Limits(0, 0), ConnectionShares.Limits.of(300, 128), "no room beyond the reserve: only admins");
        assertEquals(new ConnectionShares.Limits(64, Integer.MAX_VALUE), ConnectionShares.Limits.of(-1, 200), "no connection limit");
    }

    @Test
    void eachUserGetsItsShareAndAllUsersTheirs() throws Exception {
        ConnectionShares shares = new ConnectionShares(new ConnectionShares.Limits(2, 3));
        Caller a = new Caller(1000, false);
        Caller b = new Caller(1001, false);
        List<ConnectionShares.Claim> held = new ArrayList<>(List.of(shares.claim(a), shares.claim(a)));
        HttpError perUser = assertThrows(HttpError.class, () -> shares.claim(a));
        assertEquals(429, perUser.status());
        assertTrue(perUser.getMessage().startsWith("rule 'connections per user': uid 1000 already has 2 requests"), perUser.getMessage());
        held.add(shares.claim(b));
        HttpError allUsers = assertThrows(HttpError.class, () -> shares.claim(new Caller(1002, false)));
        assertTrue(allUsers.getMessage().startsWith("rule 'connections for all users': users other than root already have 3"),
                allUsers.getMessage());
        for (int i = 0; i < 100; i++) shares.claim(Caller.ROOT);
        shares.claim(new Caller(1000, true)); // an admin by token takes nothing from its uid's share
        // Given back once, however often closed.
        held.getFirst().close();
        held.getFirst().close();
        held.add(shares.claim(a));
        assertThrows(HttpError.class, () -> shares.claim(a));
        assertThrows(HttpError.class, () -> shares.claim(b));
        for (ConnectionShares.Claim claim : held) claim.close();
        for (int i = 0; i < 2; i++) shares.claim(a);
        shares.claim(b);
    }
}
