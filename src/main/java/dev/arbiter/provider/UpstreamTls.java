package dev.arbiter.provider;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.TlsConfig;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The TLS context for an HTTPS upstream whose deployment names its own certificate authorities. */
final class UpstreamTls {
    private UpstreamTls() {}

    /** A context that trusts exactly the certificates of {@code tls.ca-file}, with the JDK's usual host name checks. */
    static SSLContext context(TlsConfig tls) {
        try {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (X509Certificate c : tls.trustedCertificates()) trusted.setCertificateEntry("ca-" + i++, c);
            var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new ConfigException(ConfigException.problem("tls.ca-file", tls.caFile(), "certificates Java can trust ("
                    + e.getMessage() + ")"));
        }
    }
}
