package dev.arbiter.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The real PostgreSQL tests use: 127.0.0.1:5432 with trust auth (started by .ci/run), database {@code test} unless the
 * environment variable {@code ARBITER_TEST_DB} names another (so that builds of different branches on one machine
 * do not migrate one database to each other's schemas).
 */
public final class TestPostgres {
    public static final String DATABASE = database(System.getenv().getOrDefault("ARBITER_TEST_DB", "test"));
    public static final String URL = "jdbc:postgresql://127.0.0.1:5432/" + DATABASE;

    private TestPostgres() {
    }

    /** A database name, not a URL: a URL here made every PostgreSQL test skip itself as "unreachable". */
    private static String database(String name) {
        if (!name.matches("[A-Za-z0-9_]+")) {
            throw new IllegalStateException("ARBITER_TEST_DB must be a database name, e.g. arbiter_mybranch, not '" + name + "'");
        }
        return name;
    }

    /** Whether the database answers (tests that need it assume this, with .ci/run's promise to start it). */
    public static boolean reachable() {
        try (var c = connect()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(URL, "postgres", "");
    }

    /** The {@code postgres:} block of a gateway config that uses this database. */
    public static String yaml(int maxPoolSize) {
        return "postgres: {url: \"" + URL + "\", user: postgres, max-pool-size: " + maxPoolSize + "}\n";
    }
}
