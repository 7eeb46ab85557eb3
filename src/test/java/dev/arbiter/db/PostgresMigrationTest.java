package dev.arbiter.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.DriverManager;
import org.junit.jupiter.api.Test;

/**
 * Upgrading a database whose schema is ahead of a migration that landed later (V22 added after V40 was applied): the
 * gateway must apply it, not refuse the whole schema. Runs on a database of its own, made and dropped here.
 */
class PostgresMigrationTest {
    private static final String DB = "arbiter_migration_" + ProcessHandle.current().pid();

    @Test
    void migrationAddedBelowTheAppliedVersion_isAppliedOutOfOrder() throws Exception {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL on 127.0.0.1:5432 is not running (.ci/run starts it)");
        try (var admin = TestPostgres.connect(); var st = admin.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + DB);
            st.execute("CREATE DATABASE " + DB);
        }
        String url = "jdbc:postgresql://127.0.0.1:5432/" + DB;
        try {
            try (var pg = new Postgres(new PostgresConfig(url, "postgres", null, 2))) {
                assertThat(pg.migrated()).isTrue();
            }
            // as a database migrated before V22 existed looks: every later version applied, V22 not
            try (var c = DriverManager.getConnection(url, "postgres", ""); var st = c.createStatement()) {
                assertThat(st.executeUpdate("DELETE FROM flyway_schema_history WHERE version = '22'")).isEqualTo(1);
                st.execute("DROP TABLE arbiter_semantic_entry");
            }
            try (var pg = new Postgres(new PostgresConfig(url, "postgres", null, 2))) {
                assertThat(pg.migrated()).isTrue();
                try (var c = pg.dataSource().getConnection(); var st = c.createStatement();
                     var rs = st.executeQuery("SELECT count(*) FROM arbiter_semantic_entry")) {
                    assertThat(rs.next()).isTrue();
                }
            }
        } finally {
            try (var admin = TestPostgres.connect(); var st = admin.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
            }
        }
    }

    @Test
    void poolOfOneConnection_migratesAFreshDatabase() throws Exception {
        // Flyway holds a connection while it asks for another (the schema history table's lock): with the pool's one
        // connection it waited out the pool's timeout on every try, and every PostgreSQL feature stayed off
        assumeTrue(TestPostgres.reachable(), "PostgreSQL on 127.0.0.1:5432 is not running (.ci/run starts it)");
        String db = DB + "_one";
        try (var admin = TestPostgres.connect(); var st = admin.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + db);
            st.execute("CREATE DATABASE " + db);
        }
        String url = "jdbc:postgresql://127.0.0.1:5432/" + db;
        try {
            try (var pg = new Postgres(new PostgresConfig(url, "postgres", null, 1))) {
                assertThat(pg.migrated()).isTrue();
                try (var c = pg.dataSource().getConnection(); var st = c.createStatement();
                     var rs = st.executeQuery("SELECT count(*) FROM arbiter_request_log")) {
                    assertThat(rs.next()).isTrue();
                }
            }
        } finally {
            try (var admin = TestPostgres.connect(); var st = admin.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            }
        }
    }
}
