package jinit.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import jinit.supervisor.Caller;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Guard's order of rules, on exchanges whose client socket does not exist: 127.0.0.1:1 talking to
 * 127.0.0.1:2 is no connection the kernel lists, which is exactly the case of a caller without identity.
 */
class GuardTest {
    private static final String TOKEN = "0123456789abcdef".repeat(4);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final Guard guard = new Guard(InetAddress.getByName("127.0.0.1"), TOKEN, false, PeerIdentity.procNet());

    GuardTest() throws Exception {}

    private static HttpError refused(Guard guard, Map<String, String> headers) {
        return assertThrows(HttpError.class, () -> guard.admit(new Unidentified(headers)));
    }

    @Test
    void withoutIdentityAndWithoutTokenIsA401() {
        HttpError error = refused(guard, Map.of("Host", "127.0.0.1:1"));
        assertEquals(401, error.status());
        assertTrue(error.getMessage().startsWith("rule 'identity'"), error.getMessage());
        assertEquals(401, refused(guard, Map.of()).status(), "no Host header at all (HTTP/1.0)");
    }

    @Test
    void theTokenMakesAnAdminWithoutIdentity() throws Exception {
        for (String authorization : new String[] {"Bearer " + TOKEN, "bearer " + TOKEN, "BEARER  " + TOKEN + " "}) {
            Caller caller = guard.admit(new Unidentified(Map.of("Host", "localhost", "Authorization", authorization)));
            assertEquals(new Caller(0, true), caller, authorization);
        }
    }

    @Test
    void aWrongTokenIsA401WhateverTheIdentity() {
        for (String authorization : new String[] {"Bearer " + TOKEN.substring(1), "Bearer " + TOKEN + "0", "Bearer ",
                "Basic " + TOKEN, TOKEN, "Bearer " + TOKEN.toUpperCase()}) {
            HttpError error = refused(guard, Map.of("Host", "localhost", "Authorization", authorization));
            assertEquals(401, error.status(), authorization);
            assertTrue(error.getMessage().startsWith("rule 'token'"), error.getMessage());
        }
    }

    @Test
    void withoutATokenFileEveryAuthorizationIsA401() {
        Guard tokenless = new Guard(LOOPBACK, null, false, PeerIdentity.procNet());
        assertEquals(401, refused(tokenless, Map.of("Authorization", "Bearer " + TOKEN)).status());
        assertEquals(401, refused(tokenless, Map.of("Authorization", "Bearer null")).status());
    }

    @Test
    void aForeignHostIsA403BeforeAnything() {
        for (String host : new String[] {"evil.example", "evil.example:80", "127.0.0.2", "localhost.evil.example",
                "[::2]", "127.0.0.1.nip.io", "", "0.0.0.0"}) {
            HttpError error = refused(guard, Map.of("Host", host, "Authorization", "Bearer " + TOKEN));
            assertEquals(403, error.status(), host);
            assertTrue(error.getMessage().startsWith("rule 'local Host only'"), error.getMessage());
        }
    }

    @Test
    void loopbackHostsPassTheHostRule() {
        for (String host : new String[] {"localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:80", " localhost "}) {
            assertEquals(401, refused(guard, Map.of("Host", host)).status(), host);
        }
    }

    @Test
    void anyOriginIsA403EvenWithTheToken() {
        for (String origin : new String[] {"http://evil.example", "null", "http://127.0.0.1:1", ""}) {
            HttpError error = refused(guard, Map.of("Host", "localhost", "Origin", origin, "Authorization", "Bearer " + TOKEN));
            assertEquals(403, error.status(), origin);
            assertTrue(error.getMessage().startsWith("rule 'no browsers'"), error.getMessage());
        }
    }

    @Test
    void offLoopbackOnlyTheTokenAdmits() throws Exception {
        Guard remote = new Guard(InetAddress.getByName("192.0.2.7"), TOKEN, true, PeerIdentity.procNet());
        assertEquals(401, refused(remote, Map.of("Host", "192.0.2.7")).status());
        assertEquals(new Caller(0, true), remote.admit(new Unidentified(Map.of("Host", "192.0.2.7:1", "Authorization", "Bearer " + TOKEN))));
        assertEquals(403, refused(remote, Map.of("Host", "192.0.2.8")).status());
    }

    /** An exchange from 127.0.0.1:1 to 127.0.0.1:2, a connection that does not exist. */
    private static final class Unidentified extends HttpExchange {
        private final Headers requestHeaders = new Headers();

        Unidentified(Map<String, String> headers) {
            headers.forEach(requestHeaders::add);
        }

        @Override public Headers getRequestHeaders() { return requestHeaders; }
        @Override public Headers getResponseHeaders() { return new Headers(); }
        @Override public URI getRequestURI() { return URI.create("/jobs"); }
        @Override public String getRequestMethod() { return "GET"; }
        @Override public HttpContext getHttpContext() { return null; }
        @Override public void close() {}
        @Override public InputStream getRequestBody() { return InputStream.nullInputStream(); }
        @Override public OutputStream getResponseBody() { return OutputStream.nullOutputStream(); }
        @Override public void sendResponseHeaders(int rCode, long responseLength) {}
        @Override public InetSocketAddress getRemoteAddress() { return new InetSocketAddress(LOOPBACK, 1); }
        @Override public int getResponseCode() { return -1; }
        @Override public InetSocketAddress getLocalAddress() { return new InetSocketAddress(LOOPBACK, 2); }
        @Override public String getProtocol() { return "HTTP/1.1"; }
        @Override public Object getAttribute(String name) { return null; }
        @Override public void setAttribute(String name, Object value) {}
        @Override public void setStreams(InputStream i, OutputStream o) {}
        @Override public HttpPrincipal getPrincipal() { return null; }
    }
}
