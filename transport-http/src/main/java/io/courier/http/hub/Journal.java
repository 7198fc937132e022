package io.courier.http.hub;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's durable store: an append-only log of {@link JournalRecord}s in segment files {@code seg-N.log}.
 *
 * <p><b>Group commit.</b> Callers hand encoded records to {@link #append}; one writer thread takes everything
 * queued, writes it with one gathering write, calls {@code FileChannel.force(false)} once if any record is a send,
 * then completes all the callers' futures. Concurrent senders therefore share one fsync, and a send is answered
 * only once its record is on disk (C1).
 *
 * <p><b>Recovery.</b> {@link #open} replays the segments in order (SEND adds, ACK removes, ATTEMPTS updates the
 * delivery count); a torn record at the end of a segment (crash mid-write) ends that segment's replay. Every start
 * writes to a new segment.
 *
 * <p><b>Compaction.</b> The writer keeps an index of live (unacked) messages and of the segment holding each. The
 * active segment rolls at {@code segmentBytes}. Only the <em>oldest</em> segment is ever removed (so an ACK never
 * outlives the SEND it cancels): it is deleted when none of its messages is live; when it is mostly garbage, or
 * the whole journal is, its few live messages are rewritten at the head (same sequence number, current delivery
 * count) and then it is deleted. Disk use stays within about twice the live data plus two segments.
 */
final class Journal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Journal.class);

    /** Counters for stats and the group-commit measurement. */
    record Stats(long records, long forces, long bytesWritten, int segments, long diskBytes, int live) {}

    private record Pending(JournalRecord record, byte[] bytes, CompletableFuture<Void> done, boolean force) {}

    private static final class Segment {
        final long id;
        final Path path;
        final FileChannel channel;
        long size;
        int live;
        long liveBytes;

        Segment(long id, Path path, FileChannel channel, long size) {
            this.id = id;
            this.path = path;
            this.channel = channel;
            this.size = size;
        }
    }

    private static final class Live {
        final JournalRecord send;
        int deliveries;
        Segment segment;
        int bytes;

        Live(JournalRecord send, Segment segment, int bytes) {
            this.send = send;
            this.deliveries = send.deliveries();
            this.segment = segment;
            this.bytes = bytes;
        }
    }

    private final Path dir;
    private final long segmentBytes;
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private final Map<Long, Live> index = new HashMap<>();
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final AtomicLong nextSeq = new AtomicLong(1);
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong forces = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final List<JournalRecord> recovered;
    private final Thread writer;
    private volatile boolean closing;
    private volatile Stats stats;

    private Journal(Path dir, long segmentBytes) throws IOException {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        Files.createDirectories(dir);
        this.recovered = replay();
        roll();
        publishStats();
        this.writer = Thread.ofPlatform().daemon().name("courier-hub-journal").start(this::writeLoop);
    }

    /** Opens (creating if needed) the journal in {@code dir} and replays it. */
    static Journal open(Path dir, long segmentBytes) throws IOException { return new Journal(dir, segmentBytes); }

    /** The live messages (and push subscriptions, type PUSH) found at open, in the order they were first accepted, with their delivery counts. */
    List<JournalRecord> recovered() { return recovered; }

    /** A fresh journal sequence number for a new message. */
    long nextSeq() { return nextSeq.getAndIncrement(); }

    /** Counters (refreshed after every write batch). */
    Stats stats() { return stats; }

    /**
     * Queues records; the future completes once they are written (and forced, when one is a send), or
     * exceptionally with the I/O error. Encoding happens on the caller's thread.
     */
    CompletableFuture<Void> append(List<JournalRecord> batch) { return append(batch, false); }

    /** Like {@link #append(List)}, forced to disk before the future completes when {@code force} (e.g. a group's removal). */
    CompletableFuture<Void> append(List<JournalRecord> batch, boolean force) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closing) {
            done.completeExceptionally(new IOException("the hub's journal is closed"));
            return done;
        }
        for (int i = 0; i < batch.size(); i++) {
            JournalRecord r = batch.get(i);
            queue.add(new Pending(r, r.encode(), i == batch.size() - 1 ? done : null, force));
        }
        return done;
    }

    // ------------------------------------------------------------------ writer thread

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>();
        while (!closing || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                batch.add(first);
                queue.drainTo(batch, 20_000);
                writeBatch(batch);
            } catch (InterruptedException e) {
                if (closing) break;
            } catch (IOException | RuntimeException e) {
                log.error("journal write failed in {}: {} (the senders of this batch get an error)", dir, e.toString());
                for (Pending p : batch) if (p.done != null) p.done.completeExceptionally(e);
                discardPartialWrite();
            } finally {
                batch.clear();
            }
        }
    }

    private void writeBatch(List<Pending> batch) throws IOException {
        Segment active = segments.peekLast();
        ByteBuffer[] buffers = new ByteBuffer[batch.size()];
        boolean force = false;
        long total = 0;
        for (int i = 0; i < batch.size(); i++) {
            buffers[i] = ByteBuffer.wrap(batch.get(i).bytes);
            total += batch.get(i).bytes.length;
            force |= batch.get(i).force || batch.get(i).record.mustForce();
        }
        writeFully(active.channel, buffers, total);
        active.size += total;
        if (force) {
            active.channel.force(false);
            forces.incrementAndGet();
        }
        records.addAndGet(batch.size());
        bytesWritten.addAndGet(total);
        for (Pending p : batch) apply(p.record, active, p.bytes.length);
        for (Pending p : batch) if (p.done != null) p.done.complete(null);
        if (active.size >= segmentBytes) roll();
        compact();
        publishStats();
    }

    /**
     * After a failed write, cuts the active segment back to its last complete record, so that a torn record can never
     * hide later ones from the replay; if that fails too, later records go to a new segment.
     */
    private void discardPartialWrite() {
        Segment active = segments.peekLast();
        try {
            active.channel.truncate(active.size);
        } catch (IOException | RuntimeException e) {
            try {
                roll();
            } catch (IOException again) {
                log.error("journal in {} cannot open a new segment either: {}", dir, again.toString());
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer[] buffers, long total) throws IOException {
        long written = 0;
        while (written < total) written += ch.write(buffers);
    }

    private void apply(JournalRecord r, Segment segment, int bytes) {
        switch (r.type()) {
            case SEND, PUSH -> {
                Live old = index.put(r.seq(), new Live(r, segment, bytes));
                if (old != null) release(old);
                segment.live++;
                segment.liveBytes += bytes;
            }
            case ACK -> {
                Live old = index.remove(r.seq());
                if (old != null) release(old);
            }
            case ATTEMPTS -> {
                Live l = index.get(r.seq());
                if (l != null) l.deliveries = Math.max(l.deliveries, r.deliveries());
            }
        }
    }

    private static void release(Live l) {
        l.segment.live--;
        l.segment.liveBytes -= l.bytes;
    }

    private void roll() throws IOException {
        long id = segments.isEmpty() ? 1 : segments.peekLast().id + 1;
        Path p = dir.resolve(String.format("seg-%016d.log", id));
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        segments.addLast(new Segment(id, p, ch, ch.size()));
        log.debug("journal segment {} opened", p);
    }

    private void compact() throws IOException {
        while (segments.size() > 1) {
            Segment oldest = segments.peekFirst();
            if (oldest.live == 0) {
                delete(oldest);
                continue;
            }
            long disk = 0, live = 0;
            for (Segment s : segments) { disk += s.size; live += s.liveBytes; }
            boolean sparse = oldest.liveBytes * 4 < oldest.size;
            boolean mostlyGarbage = disk > 2 * segmentBytes + 2 * live;
            if (!sparse && !mostlyGarbage) return;
            relocate(oldest);
        }
    }

    /** Rewrites the live messages of {@code oldest} at the head, forces, then deletes it. */
    private void relocate(Segment oldest) throws IOException {
        List<Live> moving = new ArrayList<>();
        for (Live l : index.values()) if (l.segment == oldest) moving.add(l);
        moving.sort(Comparator.comparingLong(l -> l.send.seq()));
        Segment active = segments.peekLast();
        for (Live l : moving) {
            JournalRecord again = new JournalRecord(l.send.type(), l.send.seq(), l.send.message(), l.deliveries);
            byte[] bytes = again.encode();
            writeFully(active.channel, new ByteBuffer[] {ByteBuffer.wrap(bytes)}, bytes.length);
            active.size += bytes.length;
            bytesWritten.addAndGet(bytes.length);
            release(l);
            l.segment = active;
            l.bytes = bytes.length;
            active.live++;
            active.liveBytes += bytes.length;
        }
        active.channel.force(false);
        forces.incrementAndGet();
        log.debug("journal compaction: {} live messages moved out of {}", moving.size(), oldest.path);
        delete(oldest);
        if (active.size >= segmentBytes) roll();
    }

    private void delete(Segment s) throws IOException {
        segments.remove(s);
        s.channel.close();
        Files.deleteIfExists(s.path);
    }

    private void publishStats() {
        long disk = 0;
        for (Segment s : segments) disk += s.size;
        stats = new Stats(records.get(), forces.get(), bytesWritten.get(), segments.size(), disk, index.size());
    }

    // ------------------------------------------------------------------ replay

    private List<JournalRecord> replay() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().matches("seg-\\d{16}\\.log")).sorted().toList();
        }
        long maxSeq = 0;
        for (Path p : files) {
            long id = Long.parseLong(p.getFileName().toString().substring(4, 20));
            FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.READ);
            Segment seg = new Segment(id, p, ch, 0);
            segments.addLast(seg);
            byte[] all = Files.readAllBytes(p);
            ByteBuffer buf = ByteBuffer.wrap(all);
            int good = 0;
            while (buf.remaining() >= 8) {
                int len = buf.getInt();
                int crc = buf.getInt();
                if (len < 13 || len > buf.remaining()) break;
                byte[] body = new byte[len];
                buf.get(body);
                if (!JournalRecord.checks(body, crc)) break;
                JournalRecord r = JournalRecord.decode(body);
                apply(r, seg, len + 8);
                maxSeq = Math.max(maxSeq, r.seq());
                good = buf.position();
            }
            if (good < all.length) {
                log.warn("journal {}: {} bytes after offset {} are a torn or corrupt record (crash during a write); ignored and truncated",
                        p, all.length - good, good);
                ch.truncate(good);
            }
            seg.size = good;
            ch.position(good);
        }
        nextSeq.set(maxSeq + 1);
        List<JournalRecord> live = new ArrayList<>(index.size());
        for (Live l : index.values()) live.add(new JournalRecord(l.send.type(), l.send.seq(), l.send.message(), l.deliveries));
        live.sort(Comparator.comparingLong(JournalRecord::seq));
        if (!files.isEmpty()) log.info("journal {}: replayed {} segments, {} unacked messages recovered", dir, files.size(), live.size());
        return live;
    }

    // ------------------------------------------------------------------ close

    /** Writes what is queued, forces, and closes the files. */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Segment s : segments) {
            try {
                s.channel.force(false);
                s.channel.close();
            } catch (IOException e) {
                log.warn("closing journal segment {}: {}", s.path, e.toString());
            }
        }
    }
}
