package dev.arbiter.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * How a deployment checks its HTTPS upstream's certificate.
 *
 * @param caFile a PEM file of the certificate authorities (or self-signed certificates) to trust for this upstream,
 *     instead of the JVM's default trust store; e.g. a private CA in front of a local vLLM
 */
public record TlsConfig(Path caFile) {
    public TlsConfig {
        ConfigException.require(caFile != null, "tls.ca-file", null, "a PEM file of trusted certificates");
        trusted(caFile);
    }

    /** The certificates in {@link #caFile}, read anew. */
    public List<X509Certificate> trustedCertificates() {
        return trusted(caFile);
    }

    private static List<X509Certificate> trusted(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            var out = new ArrayList<X509Certificate>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                if (c instanceof X509Certificate x) out.add(x);
            }
            ConfigException.require(!out.isEmpty(), "tls.ca-file", file, "a PEM file with at least one certificate");
            return out;
        } catch (IOException e) {
            throw new ConfigException(ConfigException.problem("tls.ca-file", file, "a readable PEM file"));
        } catch (GeneralSecurityException e) {
            throw new ConfigException(ConfigException.problem("tls.ca-file", file, "a PEM file of X.509 certificates"));
        }
    }
}
