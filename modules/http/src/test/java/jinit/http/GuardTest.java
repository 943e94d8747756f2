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
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Guard's order of rules, on exchanges whose client socket does not exist: 127.0.0.1:1 talking to
 * 127.0.0.1:2 is no connection the kernel lists, which is exactly the case of a caller without identity.
 */
class GuardTest {
    private static final String TOKEN = "0123456789abcdef".repeat(4);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** What the kernel says of a client socket it does not list. */
    private static final PeerIdentity NOT_LISTED = (client, server) -> OptionalInt.empty();

    private final Guard guard = new Guard(InetAddress.getByName("127.0.0.1"), TOKEN, false, NOT_LISTED);

    GuardTest() throws Exception {}

    private static HttpError refused(Guard guard, Map<String, String> headers) {
        return assertThrows(HttpError.class, () -> guard.admit(new Unidentified(headers)));
    }

    private static HttpError refused(Guard guard, Unidentified exchange) {
        return assertThrows(HttpError.class, () -> guard.admit(exchange));
    }

    @Test
    void withoutIdentityAndWithoutTokenIsA401() {
        HttpError error = refused(guard, Map.of("Host", "127.0.0.1:1"));
        assertEquals(401, error.status());
        assertTrue(error.getMessage().startsWith("rule 'identity'"), error.getMessage());
        assertEquals(401, refused(guard, new Unidentified(Map.of(), "HTTP/1.0")).status(), "no Host header at all (HTTP/1.0)");
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
        Guard tokenless = new Guard(LOOPBACK, null, false, NOT_LISTED);
        assertEquals(401, refused(tokenless, Map.of("Host", "localhost", "Authorization", "Bearer " + TOKEN)).status());
        assertEquals(401, refused(tokenless, Map.of("Host", "localhost", "Authorization", "Bearer null")).status());
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
        for (String host : new String[] {"localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:80", " localhost ",
                "\tlocalhost:65535\t"}) {
            assertEquals(401, refused(guard, Map.of("Host", host)).status(), host);
        }
    }

    /** Only NAME, NAME:PORT, [V6] or [V6]:PORT, PORT of 1 to 5 digits: anything else is a 400, whatever its start. */
    @Test
    void aMalformedHostIsA400BeforeAnything() {
        for (String host : new String[] {"[::1]evil.example", "[::1]:80evil.example", "[::1].evil.example", "localhost:", "localhost:80:80",
                "localhost:+1", "localhost:-1", "localhost: 80", "localhost:123456", "localhost:8O", "127.0.0.1:1@evil.example",
                "[::1", "localhost:80 evil.example", "[::1]:"}) {
            HttpError error = refused(guard, Map.of("Host", host, "Authorization", "Bearer " + TOKEN));
            assertEquals(400, error.status(), host);
            assertTrue(error.getMessage().startsWith("rule 'local Host only'"), error.getMessage());
        }
    }

    /** One Host header, exactly: a second one, even after an allowed first, is a 400; so is none in HTTP/1.1. */
    @Test
    void aDuplicateOrMissingHostIsA400() {
        Unidentified twice = new Unidentified(Map.of("Authorization", "Bearer " + TOKEN));
        twice.getRequestHeaders().add("Host", "localhost");
        twice.getRequestHeaders().add("Host", "evil.example");
        Unidentified sameTwice = new Unidentified(Map.of("Authorization", "Bearer " + TOKEN));
        sameTwice.getRequestHeaders().add("Host", "localhost");
        sameTwice.getRequestHeaders().add("Host", "localhost");
        Unidentified none = new Unidentified(Map.of("Authorization", "Bearer " + TOKEN));
        for (Unidentified exchange : new Unidentified[] {twice, sameTwice, none}) {
            HttpError error = refused(guard, exchange);
            assertEquals(400, error.status(), exchange.getRequestHeaders().toString());
            assertTrue(error.getMessage().startsWith("rule 'local Host only'"), error.getMessage());
        }
    }

    @Test
    void theHostNameIsWhatPrecedesAPortOfDigits() {
        assertEquals("localhost", Guard.hostName("localhost"));
        assertEquals("localhost", Guard.hostName(" localhost:1 "));
        assertEquals("[::1]", Guard.hostName("[::1]:65535"));
        assertEquals("", Guard.hostName(""));
        assertEquals(null, Guard.hostName("[::1]x"));
        assertEquals(null, Guard.hostName("a:b"));
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
        Guard remote = new Guard(InetAddress.getByName("192.0.2.7"), TOKEN, true, NOT_LISTED);
        assertEquals(401, refused(remote, Map.of("Host", "192.0.2.7")).status());
        assertEquals(new Caller(0, true), remote.admit(new Unidentified(Map.of("Host", "192.0.2.7:1", "Authorization", "Bearer " + TOKEN))));
        assertEquals(403, refused(remote, Map.of("Host", "192.0.2.8")).status());
    }

    /** An exchange from 127.0.0.1:1 to 127.0.0.1:2, a connection that does not exist. */
    private static final class Unidentified extends HttpExchange {
        private final Headers requestHeaders = new Headers();
        private final String protocol;

        Unidentified(Map<String, String> headers) {
            this(headers, "HTTP/1.1");
        }

        Unidentified(Map<String, String> headers, String protocol) {
            headers.forEach(requestHeaders::add);
            this.protocol = protocol;
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
        @Override public String getProtocol() { return protocol; }
        @Override public Object getAttribute(String name) { return null; }
        @Override public void setAttribute(String name, Object value) {}
        @Override public void setStreams(InputStream i, OutputStream o) {}
        @Override public HttpPrincipal getPrincipal() { return null; }
    }
}
