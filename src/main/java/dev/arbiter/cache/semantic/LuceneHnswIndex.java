package dev.arbiter.cache.semantic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;

/**
 * A {@link VectorIndex} on Apache Lucene's HNSW graphs (Malkov and Yashunin, "Efficient and robust approximate
 * nearest neighbor search using Hierarchical Navigable Small World graphs", 2016), held in the heap.
 *
 * <p>Design. Each entry is one Lucene document: its id and partition as exact terms, its vector in a
 * {@link KnnFloatVectorField} (dot product: vectors are unit length, so the score is the cosine), its prompt stored,
 * its expiry as a doc value, and an insertion sequence number as a point for the {@code max-entries} bound (the
 * oldest inserted go first). A search is a k-NN query filtered by the partition term: Lucene walks the graph while
 * the filter is broad and falls back to an exact scan when it is narrow (a small partition), so results are exact
 * for the small partitions a cache mostly has. Expired entries are dropped from results until {@link #removeExpired}
 * deletes them.
 *
 * <p>Visibility without a refresh per write. Lucene sees a write only after a reader refresh, and a refresh per
 * insert would write a segment per insert and keep the merges rebuilding graphs. Instead an entry added goes both to
 * the writer and to {@code recent}, a small map scanned exhaustively by every search, and an id removed goes to
 * {@code removed}, which filters results; a refresh (at most once per {@code refreshInterval}, by one thread at a
 * time, on the search path) makes the writer's state visible and then drops from both what it now covers. Invariant:
 * every entry added and not removed is in the refreshed reader or in {@code recent} (it is written before it is put
 * in {@code recent}, and taken out of {@code recent} only after a refresh that started after it was written).
 */
public final class LuceneHnswIndex implements VectorIndex {
    private static final String ID = "id";
    private static final String PARTITION = "p";
    private static final String PROMPT = "prompt";
    private static final String VECTOR = "v";
    private static final String EXPIRES = "exp";
    private static final String SEQ = "seq";
    private static final long EVICT_EVERY = 1024;
    private static final int RECENT_MAX = 4096;

    private final int dimension;
    private final long maxEntries;
    private final long refreshIntervalNanos;
    private final InstantSource clock;
    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final Map<String, IndexEntry> recent = new ConcurrentHashMap<>();
    private final Map<String, Object> removed = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile long lastRefresh = System.nanoTime();

    /**
     * @param dimension the length of every vector
     * @param maxEntries the most entries kept; beyond it the oldest inserted are removed (in batches of 1,024)
     * @param refreshInterval how often, at most, a search refreshes Lucene's reader (recent writes are searched
     *     exhaustively meanwhile); 0 refreshes at every search that follows a write
     * @param clock the time expiries are compared with
     */
    public LuceneHnswIndex(int dimension, long maxEntries, java.time.Duration refreshInterval, InstantSource clock) {
        this(dimension, maxEntries, refreshInterval, clock, new ByteBuffersDirectory());
    }

    LuceneHnswIndex(int dimension, long maxEntries, java.time.Duration refreshInterval, InstantSource clock, Directory directory) {
        if (dimension < 1 || dimension > 4096) throw new IllegalArgumentException("dimension: " + dimension + " (expected: 1..4096)");
        if (maxEntries < 1) throw new IllegalArgumentException("max-entries: " + maxEntries + " (expected: >= 1)");
        this.dimension = dimension;
        this.maxEntries = maxEntries;
        this.refreshIntervalNanos = refreshInterval.toNanos();
        this.clock = clock;
        this.directory = directory;
        try {
            var config = new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE).setRAMBufferSizeMB(64);
            this.writer = new IndexWriter(directory, config);
            this.searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void add(IndexEntry entry) {
        write(entry);
        removed.remove(entry.id());
        recent.put(entry.id(), entry);
        if (recent.size() >= RECENT_MAX) maybeRefresh();
    }

    private void write(IndexEntry entry) {
        if (entry.vector().length != dimension) {
            throw new IllegalArgumentException("vector length: " + entry.vector().length + " (expected: " + dimension + ")");
        }
        long s = seq.incrementAndGet();
        var doc = new Document();
        doc.add(new StringField(ID, entry.id(), Field.Store.YES));
        doc.add(new StringField(PARTITION, entry.partition(), Field.Store.NO));
        doc.add(new StoredField(PROMPT, entry.prompt()));
        doc.add(new KnnFloatVectorField(VECTOR, entry.vector(), VectorSimilarityFunction.DOT_PRODUCT));
        doc.add(new NumericDocValuesField(EXPIRES, entry.expiresAt().toEpochMilli()));
        doc.add(new LongPoint(SEQ, s));
        try {
            writer.updateDocument(new Term(ID, entry.id()), doc);
            if (s > maxEntries && s % EVICT_EVERY == 0) {
                writer.deleteDocuments(LongPoint.newRangeQuery(SEQ, Long.MIN_VALUE, s - maxEntries));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void remove(String id) {
        try {
            writer.deleteDocuments(new Term(ID, id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        removed.put(id, new Object());
        recent.remove(id);
    }

    @Override
    public List<Match> search(String partition, float[] vector, int k, float threshold) {
        if (vector.length != dimension) throw new IllegalArgumentException("vector length: " + vector.length + " (expected: " + dimension + ")");
        if (k < 1) throw new IllegalArgumentException("k: " + k + " (expected: >= 1)");
        maybeRefresh();
        long now = clock.millis();
        // The recent writes and removals are read before the reader is acquired: a refresh that empties them after
        // this point has swapped in a reader that covers them (reading them after would miss what a refresh between
        // the two moved out of them).
        List<IndexEntry> fresh = new ArrayList<>();
        for (IndexEntry e : recent.values()) if (e.partition().equals(partition)) fresh.add(e);
        Set<String> gone = removed.isEmpty() ? Set.of() : Set.copyOf(removed.keySet());
        Map<String, Match> found = new HashMap<>();
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                // ask for a few more than k: some may be removed or expired since the last refresh
                int n = k + Math.min(gone.size(), 64);
                var query = new KnnFloatVectorQuery(VECTOR, vector, n, new TermQuery(new Term(PARTITION, partition)));
                TopDocs top = searcher.search(query, n);
                var leaves = searcher.getIndexReader().leaves();
                for (ScoreDoc sd : top.scoreDocs) {
                    float cosine = 2 * sd.score - 1;
                    if (cosine < threshold) continue;
                    var leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
                    int local = sd.doc - leaf.docBase;
                    NumericDocValues exp = leaf.reader().getNumericDocValues(EXPIRES);
                    if (exp == null || !exp.advanceExact(local) || exp.longValue() <= now) continue;
                    Document d = leaf.reader().storedFields().document(local, Set.of(ID, PROMPT));
                    String id = d.get(ID);
                    if (gone.contains(id)) continue;
                    found.put(id, new Match(id, d.get(PROMPT), cosine));
                }
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The recent writes, exhaustively: they win over what the reader had for the same id.
        for (IndexEntry e : fresh) {
            if (e.expiresAt().toEpochMilli() <= now) continue;
            float cosine = Embedder.cosine(vector, e.vector());
            if (cosine >= threshold) found.put(e.id(), new Match(e.id(), e.prompt(), cosine));
            else found.remove(e.id());
        }
        List<Match> out = new ArrayList<>(found.values());
        out.sort(Comparator.comparingDouble(Match::similarity).reversed());
        return out.size() > k ? List.copyOf(out.subList(0, k)) : List.copyOf(out);
    }

    @Override
    public long rebuild(Stream<IndexEntry> entries) {
        long now = clock.millis();
        try {
            writer.deleteAll();
            recent.clear();
            removed.clear();
            long[] added = {0};
            entries.filter(e -> e.expiresAt().toEpochMilli() > now).forEach(e -> {
                write(e);
                added[0]++;
            });
            refresh();
            return added[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long removeExpired() {
        long now = clock.millis();
        long n = 0;
        refresh();
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                var q = NumericDocValuesField.newSlowRangeQuery(EXPIRES, Long.MIN_VALUE, now);
                n = searcher.count(q);
                writer.deleteDocuments(q);
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        refresh();
        return n;
    }

    @Override
    public long size() {
        refresh();
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                return searcher.count(new MatchAllDocsQuery());
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes every write so far visible to Lucene's reader and empties the recent writes it covers. */
    void refresh() {
        refreshing.lock();
        try {
            Map<String, IndexEntry> covered = Map.copyOf(recent);
            Map<String, Object> gone = Map.copyOf(removed);
            lastRefresh = System.nanoTime();
            searchers.maybeRefreshBlocking();
            covered.forEach(recent::remove);
            gone.forEach(removed::remove);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            refreshing.unlock();
        }
    }

    private void maybeRefresh() {
        if (recent.isEmpty() && removed.isEmpty()) return;
        if (System.nanoTime() - lastRefresh < refreshIntervalNanos && recent.size() < RECENT_MAX) return;
        // One thread refreshes; the others search the reader they have and the recent writes meanwhile.
        if (!refreshing.tryLock()) return;
        try {
            refresh();
        } finally {
            refreshing.unlock();
        }
    }

    @Override
    public void close() {
        try {
            searchers.close();
            writer.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
