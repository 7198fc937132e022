package io.courier.http.hub;

import io.courier.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p><b>Disk faults.</b> A send is refused with {@link DiskFullException} when the file system has less than
 * {@code minFreeBytes} left after it (the rest is kept for acks and compaction) or when a write fails for lack of
 * space; the partial write is cut off and the journal accepts again as soon as space returns. A failed fsync is
 * different: the journal then accepts nothing until restarted ({@link JournalFailedException}). At start, every
 * segment's HEADER names its predecessor's length, so a segment cut short, a missing segment or an unreadable record
 * followed by readable ones is damage: the journal refuses to open ({@link JournalCorruptException}) unless told to
 * salvage, and then reports it ({@link #health()}). Only an unreadable end of the newest segment is a torn tail.
 */
final class Journal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Journal.class);

    /** Counters for stats and the group-commit measurement. */
    record Stats(long records, long forces, long bytesWritten, int segments, long diskBytes, int live) {}

    /** One caller's batch: written whole (one gathering write with the other callers' batches) or cut off whole. */
    private record Pending(List<JournalRecord> records, byte[][] bytes, long total, CompletableFuture<Void> done, boolean force) {}

    /**
     * How a journal runs: segment size, the free space kept for acks and compaction (sends are refused below it),
     * whether damage found at start is salvaged (else the journal does not open), the largest record, the fsync.
     */
    record Config(long segmentBytes, long minFreeBytes, boolean salvage, int maxRecordBytes, Fsync fsync) {
        static Config of(long segmentBytes) { return new Config(segmentBytes, 0, false, 64 << 20, Fsync.FORCE); }

        Config withFsync(Fsync f) { return new Config(segmentBytes, minFreeBytes, salvage, maxRecordBytes, f); }

        Config withMinFree(long bytes) { return new Config(segmentBytes, bytes, salvage, maxRecordBytes, fsync); }

        Config withSalvage(boolean on) { return new Config(segmentBytes, minFreeBytes, on, maxRecordBytes, fsync); }
    }

    /** The journal's state for {@code /v1/health}: {@code ok}, {@code disk_full}, {@code failed}, or {@code salvaged}. */
    record Health(String state, String error, List<JournalDamage> damage, Path damagedDir, long usableBytes, long minFreeBytes) {}

    /**
     * How the journal makes what it wrote durable: every fsync of a segment (group commit, compaction, close) goes
     * through it, on the writer thread, before the futures of the records it covers complete. Tests observe it.
     */
    @FunctionalInterface
    interface Fsync {
        Fsync FORCE = ch -> ch.force(false);

        void force(FileChannel channel) throws IOException;
    }

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

    /**
     * A live record as the index keeps it: where it is on disk, not what it says (the payload stays in the segment and
     * is read back by {@link #payload}). {@code meta} is the message without its payload, kept only from the replay until
     * {@link #recovered()} is built. The location changes under the object's lock (compaction moves it).
     */
    private static final class Live {
        final JournalRecord.Type type;
        final long seq;
        volatile int deliveries;
        Segment segment;
        long offset;
        int bytes;
        Message meta;

        Live(JournalRecord r, Segment segment, long offset, int bytes, Message meta) {
            this.type = r.type();
            this.seq = r.seq();
            this.deliveries = r.deliveries();
            this.segment = segment;
            this.offset = offset;
            this.bytes = bytes;
            this.meta = meta;
        }

        synchronized void moveTo(Segment s, long at, int length) {
            segment = s;
            offset = at;
            bytes = length;
        }
    }

    private final Path dir;
    private final long segmentBytes;
    private final Config config;
    private final FileStore store;
    private final AtomicLong queuedBytes = new AtomicLong();
    /** The first failed fsync: once set, nothing more is written and every append fails with it. */
    private volatile JournalFailedException failure;
    /** Free bytes that the last refused send needed (0: none refused since space was enough). */
    private volatile long refusedNeed;
    private volatile long diskFullLoggedAt;
    /** Writer thread only: bytes written to the active segment since its last fsync. */
    private boolean unforced;
    private final List<JournalDamage> damage = new ArrayList<>();
    private Path damagedDir;
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private final Map<Long, Live> index = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final AtomicLong nextSeq = new AtomicLong(1);
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong forces = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private volatile List<JournalRecord> recovered;
    private final Thread writer;
    private final Fsync fsync;
    private volatile boolean closing;
    private volatile Stats stats;

    private Journal(Path dir, Config config) throws IOException {
        this.dir = dir;
        this.config = config;
        this.segmentBytes = config.segmentBytes();
        this.fsync = config.fsync();
        Files.createDirectories(dir);
        this.store = Files.getFileStore(dir);
        replay();
        try {
            roll();
        } catch (DiskFullException e) { // start anyway: the hub refuses sends until there is room, and must serve what it holds
            log.warn("journal in {}: the new segment could not get its header ({}); sends are refused until there is room", dir, e.getMessage());
            discardPartialWrite();
        }
        this.recovered = live();
        publishStats();
        this.writer = Thread.ofPlatform().daemon().name("courier-hub-journal").start(this::writeLoop);
    }

    /** Opens (creating if needed) the journal in {@code dir} and replays it. */
    static Journal open(Path dir, long segmentBytes) throws IOException { return open(dir, Config.of(segmentBytes)); }

    /** Like {@link #open(Path, long)}, every fsync going through {@code fsync}. */
    static Journal open(Path dir, long segmentBytes, Fsync fsync) throws IOException { return open(dir, Config.of(segmentBytes).withFsync(fsync)); }

    /**
     * Opens the journal in {@code dir} as {@code config} says. Throws {@link JournalCorruptException} when the segments
     * are damaged and {@code config.salvage()} is false (nothing on disk is changed then).
     */
    static Journal open(Path dir, Config config) throws IOException { return new Journal(dir, config); }

    /** What state the journal is in, what went wrong, and what a salvage could not recover. */
    Health health() {
        long usable = usableSpace();
        JournalFailedException f = failure;
        if (f != null) return new Health("failed", f.getMessage(), damage, damagedDir, usable, config.minFreeBytes());
        long need = refusedNeed;
        if (need > 0 && usable < need) {
            return new Health("disk_full", "hub disk full: " + usable + " bytes free in " + dir + ", sends need " + need
                    + " (with the reserve of " + config.minFreeBytes() + " bytes, min-free-disk): free space on that file system",
                    damage, damagedDir, usable, config.minFreeBytes());
        }
        if (!damage.isEmpty()) {
            return new Health("salvaged", damage.size() + " damaged region(s) could not be recovered at start; the damaged files are in "
                    + damagedDir, damage, damagedDir, usable, config.minFreeBytes());
        }
        return new Health("ok", null, damage, damagedDir, usable, config.minFreeBytes());
    }

    private long usableSpace() {
        try {
            return store.getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // cannot tell: the write itself will say
        }
    }

    /** The live messages (and push subscriptions, type PUSH) found at open, in the order they were first accepted, with their delivery counts. */
    List<JournalRecord> recovered() { return recovered; }

    /** Lets go of {@link #recovered()} once the hub has taken it (it is as long as the backlog). */
    void forgetRecovered() { recovered = List.of(); }

    /** A fresh journal sequence number for a new message. */
    long nextSeq() { return nextSeq.getAndIncrement(); }

    /** Counters (refreshed after every write batch). */
    Stats stats() { return stats; }

    /**
     * Queues records; the future completes once they are written (and forced, when one is a send), or
     * exceptionally with the I/O error. Encoding happens on the caller's thread.
     */
    CompletableFuture<Void> append(List<JournalRecord> batch) { return append(batch, false); }

    /**
     * Like {@link #append(List)}, but the batch is forced even when it holds no send: for records whose loss at a
     * crash would undo an answer already given (the removal of a push subscription, whose ACK would otherwise come
     * back to life as the subscription at the next start).
     */
    CompletableFuture<Void> appendForced(List<JournalRecord> batch) { return append(batch, true); }

    private CompletableFuture<Void> append(List<JournalRecord> batch, boolean force) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closing) {
            done.completeExceptionally(new IOException("the hub's journal is closed"));
            return done;
        }
        if (failure != null) {
            done.completeExceptionally(failure);
            return done;
        }
        byte[][] bytes = new byte[batch.size()][];
        long total = 0;
        boolean message = false;
        for (int i = 0; i < batch.size(); i++) {
            bytes[i] = batch.get(i).encode();
            total += bytes[i].length;
            message |= batch.get(i).holdsMessage();
        }
        if (message) {
            DiskFullException full = checkSpace(total);
            if (full != null) {
                done.completeExceptionally(full);
                return done;
            }
        }
        queuedBytes.addAndGet(total);
        queue.add(new Pending(List.copyOf(batch), bytes, total, done, force));
        return done;
    }

    /**
     * Null when the file system has room for {@code bytes} more plus what is queued and the reserve; else the refusal.
     * Acks, attempt counts and compaction are never refused here: they use the reserve, so consumers can drain a full hub.
     */
    private DiskFullException checkSpace(long bytes) {
        long usable = usableSpace();
        long need = bytes + queuedBytes.get() + config.minFreeBytes();
        if (usable >= need) {
            refusedNeed = 0;
            return null;
        }
        refusedNeed = need;
        return diskFull(usable, bytes, null);
    }

    private DiskFullException diskFull(long usable, long bytes, IOException cause) {
        String m = "hub disk full: " + usable + " bytes free on the file system of " + dir + "; this request needs " + bytes
                + " and the hub keeps " + config.minFreeBytes() + " for acks and compaction (min-free-disk). Nothing of it was"
                + " accepted. Fix: free space on that file system or move the hub's --data to a bigger one; the hub accepts"
                + " sends again by itself as soon as there is room (acks keep working meanwhile)";
        long now = System.currentTimeMillis();
        if (now - diskFullLoggedAt > 10_000) { // once per 10 s, not once per refused request
            diskFullLoggedAt = now;
            log.warn("transport=http journal={}: {}", dir, m);
        }
        return new DiskFullException(m, cause);
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
                if (failure != null) throw failure; // after a failed fsync nothing more is written
                writeBatch(batch);
            } catch (InterruptedException e) {
                if (closing) break;
            } catch (JournalFailedException e) {
                for (Pending p : batch) p.done.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
                if (!(e instanceof DiskFullException)) { // that one is logged where it is made, at most once per 10 s
                    log.error("transport=http journal write failed in {}: {} (the senders of this batch get an error)", dir, e.toString());
                }
                discardPartialWrite(); // before the answers: a caller that hears of the failure finds the segment cut back
                for (Pending p : batch) p.done.completeExceptionally(e);
            } finally {
                for (Pending p : batch) queuedBytes.addAndGet(-p.total);
                batch.clear();
            }
        }
    }

    private void writeBatch(List<Pending> batch) throws IOException {
        Segment active = segments.peekLast();
        List<ByteBuffer> buffers = new ArrayList<>();
        boolean force = false;
        long total = 0;
        int count = 0;
        for (Pending p : batch) {
            for (byte[] b : p.bytes) buffers.add(ByteBuffer.wrap(b));
            total += p.total;
            count += p.records.size();
            force |= p.force;
            for (JournalRecord r : p.records) force |= r.mustForce();
        }
        long at = active.size;
        write(active, buffers.toArray(ByteBuffer[]::new), total);
        active.size += total;
        if (force) force(active);
        records.addAndGet(count);
        bytesWritten.addAndGet(total);
        for (Pending p : batch) {
            for (int i = 0; i < p.records.size(); i++) {
                apply(p.records.get(i), active, at, p.bytes[i].length, null);
                at += p.bytes[i].length;
            }
        }
        publishStats(); // before the answers: a caller that read stats after its append sees its own batch counted
        for (Pending p : batch) p.done.complete(null);
        try {
            if (active.size >= segmentBytes) roll();
            compact();
        } catch (DiskFullException e) { // the batch is answered; compaction frees space once it can run
            log.warn("transport=http journal={}: compaction postponed, no room to rewrite live messages ({})", dir, e.getMessage());
            discardPartialWrite();
        }
        publishStats();
    }

    /** Writes everything or throws; a write that fails for lack of space is a {@link DiskFullException}. */
    private void write(Segment s, ByteBuffer[] buffers, long total) throws IOException {
        unforced = true;
        try {
            writeFully(s.channel, buffers, total);
        } catch (IOException e) {
            if (!isNoSpace(e)) throw e;
            throw diskFull(usableSpace(), total, e);
        }
    }

    private static boolean isNoSpace(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("No space left") || m.contains("quota exceeded") || m.contains("Disk quota");
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

    /** Applies a record found at {@code offset} of {@code segment}; {@code meta}: the message to recover (replay only). */
    private void apply(JournalRecord r, Segment segment, long offset, int bytes, Message meta) {
        switch (r.type()) {
            case SEND, PUSH -> {
                Live old = index.put(r.seq(), new Live(r, segment, offset, bytes, meta));
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
            case HEADER -> { }
        }
    }

    private static void release(Live l) {
        l.segment.live--;
        l.segment.liveBytes -= l.bytes;
    }

    /**
     * Starts the next segment: the previous one is forced first, so the length that the new HEADER records for it is on
     * disk; the directory is forced, so the new file survives a crash.
     */
    private void roll() throws IOException {
        Segment prev = segments.peekLast();
        if (prev != null && unforced) force(prev);
        startSegment(prev == null ? 1 : prev.id + 1, prev == null ? -1 : prev.size);
    }

    private Segment startSegment(long id, long previousLength) throws IOException {
        Path p = dir.resolve(segmentName(id));
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE); // READ: payloads are read back
        ch.position(ch.size()); // appends (READ excludes APPEND); a truncate keeps the position at the end
        Segment s = new Segment(id, p, ch, ch.size());
        segments.addLast(s);
        syncDirectory();
        byte[] header = JournalRecord.header(previousLength).encode();
        write(s, new ByteBuffer[] {ByteBuffer.wrap(header)}, header.length);
        s.size += header.length;
        bytesWritten.addAndGet(header.length);
        log.debug("journal segment {} opened", p);
        return s;
    }

    private static String segmentName(long id) { return String.format("seg-%016d.log", id); }

    private void syncDirectory() throws JournalFailedException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            throw failed("fsync of the directory " + dir, e);
        }
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
        moving.sort(Comparator.comparingLong(l -> l.seq));
        Segment active = segments.peekLast();
        for (Live l : moving) {
            rewrite(l, active);
            bytesWritten.addAndGet(l.bytes);
        }
        force(active);
        log.debug("journal compaction: {} live messages moved out of {}", moving.size(), oldest.path);
        delete(oldest);
        if (active.size >= segmentBytes) roll();
    }

    /** Forces the segment; a failure stops the journal for good ({@link JournalFailedException}). */
    private void force(Segment s) throws JournalFailedException {
        try {
            fsync.force(s.channel);
        } catch (IOException e) {
            throw failed("fsync of " + s.path, e);
        }
        forces.incrementAndGet();
        if (s == segments.peekLast()) unforced = false;
    }

    /** The journal's one failure, set (and logged at ERROR) by the first failed fsync. */
    private JournalFailedException failed(String what, IOException cause) {
        synchronized (this) {
            if (failure == null) {
                failure = new JournalFailedException(what + " failed (" + cause + "): the hub accepts no sends from now on,"
                        + " because it cannot prove that what it writes reaches the disk. Messages it answered 200 before are on disk; a send"
                        + " answered with this error may come back after a restart: resend it with the same id (the hub keeps one copy)."
                        + " Fix: check the disk (dmesg, free space, the device's health), then restart the hub: it replays its journal", cause);
                log.error("transport=http journal={}: {}", dir, failure.getMessage());
            }
            return failure;
        }
    }

    private void delete(Segment s) throws IOException {
        if (unforced) force(segments.peekLast()); // what was moved out of s must be on disk before s goes
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

    /**
     * Replays every segment into the index. Damage (see {@link JournalDamage}) makes it throw {@link JournalCorruptException}
     * with nothing on disk changed, unless the config salvages; a torn tail is cut off and logged.
     */
    private void replay() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().matches("seg-\\d{16}\\.log")).sorted().toList();
        }
        long[] maxSeq = {0};
        Map<Segment, Long> torn = new java.util.LinkedHashMap<>();
        long prevId = -1;
        for (int k = 0; k < files.size(); k++) {
            Path p = files.get(k);
            long id = idOf(p);
            if (prevId >= 0 && id != prevId + 1) {
                damage.add(new JournalDamage(dir.resolve(segmentName(prevId + 1)), 0, -1, "segment file(s) " + segmentName(prevId + 1)
                        + (id - 1 > prevId + 1 ? " to " + segmentName(id - 1) : "") + " missing from the chain: whatever they held is lost"));
            }
            prevId = id;
            Path next = k + 1 < files.size() && idOf(files.get(k + 1)) == id + 1 ? files.get(k + 1) : null;
            long expected = next == null ? -1 : SegmentScan.predecessorLength(next, config.maxRecordBytes());
            FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.READ);
            Segment seg = new Segment(id, p, ch, 0);
            segments.addLast(seg);
            // mapped, not read: a segment is scanned off the heap, and only what scheduling needs is kept of each record
            java.nio.MappedByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            List<SegmentScan.Bad> bad = SegmentScan.scan(all, config.maxRecordBytes(), (r, at, len) -> {
                apply(r, seg, at, len, r.type() == JournalRecord.Type.SEND ? r.withoutPayload().message() : r.message());
                if (r.type() != JournalRecord.Type.HEADER) maxSeq[0] = Math.max(maxSeq[0], r.seq());
            });
            seg.size = all.capacity();
            boolean shortfallReported = false;
            for (SegmentScan.Bad region : bad) {
                boolean tail = region.to() == all.capacity();
                if (tail && (expected < 0 || region.from() >= expected)) { // the end of a write a crash cut: only ever unanswered records
                    torn.put(seg, region.from());
                    seg.size = region.from();
                    continue;
                }
                String reason = region.note();
                long end = region.to();
                if (tail && all.capacity() < expected) {
                    reason += "; the file ends at byte " + all.capacity() + " but " + next.getFileName() + " recorded " + expected
                            + " bytes for it: the segment was cut short";
                    end = expected;
                    shortfallReported = true;
                }
                damage.add(new JournalDamage(p, region.from(), end - region.from(), reason));
            }
            if (!shortfallReported && all.capacity() < expected) {
                damage.add(new JournalDamage(p, all.capacity(), expected - all.capacity(), "the file ends at byte " + all.capacity() + " but "
                        + next.getFileName() + " recorded " + expected + " bytes for it: the segment was cut short, the records in the missing bytes are lost"));
            }
            ch.position(seg.size);
        }
        nextSeq.set(maxSeq[0] + 1);
        if (!damage.isEmpty() && !config.salvage()) {
            for (Segment s : segments) s.channel.close();
            segments.clear();
            throw new JournalCorruptException(refusal(), damage);
        }
        for (Map.Entry<Segment, Long> t : torn.entrySet()) {
            Segment s = t.getKey();
            log.warn("transport=http journal {}: {} bytes after offset {} are a torn record (a crash during a write; never answered); ignored and truncated",
                    s.path, Files.size(s.path) - t.getValue(), t.getValue());
            s.channel.truncate(t.getValue());
            s.channel.force(true);
        }
        if (!damage.isEmpty()) salvage();
        if (!files.isEmpty()) log.info("journal {}: replayed {} segments, {} unacked messages recovered", dir, files.size(), index.size());
    }

    private static long idOf(Path segment) { return Long.parseLong(segment.getFileName().toString().substring(4, 20)); }

    private String refusal() {
        StringBuilder b = new StringBuilder("the hub's journal in ").append(dir).append(" is damaged, and the hub does not start on it,"
                + " so that nothing is dropped without your say (nothing on disk was changed):");
        for (JournalDamage d : damage) b.append("\n  - ").append(d);
        return b.append("\nFix: restore ").append(dir).append(" from a backup, or start the hub with --salvage-journal"
                + " (HubOptions.withSalvageJournal(true)): it starts with every readable record, moves the damaged segment files to ")
                .append(dir).append("/damaged-<time>/, and reports the above in its log (ERROR) and in GET /v1/health").toString();
    }

    /**
     * Starts after damage: every live record is rewritten to a fresh segment chain and forced, and only then are the old
     * segment files moved to {@code damaged-<time>/} (kept for inspection), so the next start finds a clean journal.
     */
    private void salvage() throws IOException {
        List<Segment> damaged = new ArrayList<>(segments);
        List<Live> lives = new ArrayList<>(index.values());
        lives.sort(Comparator.comparingLong(l -> l.seq));
        segments.clear();
        Segment fresh = startSegment(damaged.get(damaged.size() - 1).id + 1, -1);
        for (Live l : lives) rewrite(l, fresh);
        force(fresh);
        damagedDir = dir.resolve("damaged-" + System.currentTimeMillis());
        Files.createDirectories(damagedDir);
        for (Segment s : damaged) {
            s.channel.close();
            Files.move(s.path, damagedDir.resolve(s.path.getFileName()));
        }
        syncDirectory();
        StringBuilder b = new StringBuilder();
        for (JournalDamage d : damage) b.append("\n  - ").append(d);
        log.error("transport=http journal={}: started by --salvage-journal; what could not be recovered:{}\n{} unacked messages recovered and"
                + " rewritten to {}; the damaged segment files are kept in {}", dir, b, lives.size(), fresh.path.getFileName(), damagedDir);
    }

    /** The live records found at start, their messages without payloads; the index forgets the messages. */
    private List<JournalRecord> live() {
        List<JournalRecord> live = new ArrayList<>(index.size());
        for (Live l : index.values()) {
            live.add(new JournalRecord(l.type, l.seq, l.meta, l.deliveries));
            l.meta = null;
        }
        live.sort(Comparator.comparingLong(JournalRecord::seq));
        return live;
    }

    // ------------------------------------------------------------------ payloads

    /**
     * The payload of the live message {@code seq}, read back from its segment (a positional read, served by the page
     * cache while the segment is recent), or null when the journal no longer holds it (acked meanwhile). A record that
     * no longer matches its checksum is an {@link IOException} naming the segment and offset.
     */
    byte[] payload(long seq) throws IOException {
        for (int tries = 0; ; tries++) {
            Live l = index.get(seq);
            if (l == null) return null;
            Segment s;
            long at;
            int length;
            synchronized (l) {
                s = l.segment;
                at = l.offset;
                length = l.bytes;
            }
            try {
                return read(s, at, length).message().payload();
            } catch (java.nio.channels.ClosedChannelException moved) { // compaction moved it and deleted the segment: look again
                if (tries >= 3 || Thread.currentThread().isInterrupted()) throw moved;
            }
        }
    }

    /** Reads and verifies the record framed at {@code at} in {@code s}. */
    private JournalRecord read(Segment s, long at, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (s.channel.read(b, at + b.position()) < 0) break;
        }
        byte[] all = b.array();
        int body = length - 8;
        if (b.hasRemaining() || ByteBuffer.wrap(all).getInt(0) != body || !JournalRecord.checks(all, 8, body, ByteBuffer.wrap(all).getInt(4))) {
            throw new IOException("the journal record of " + length + " bytes at offset " + at + " of " + s.path + " no longer reads back"
                    + " intact (the file was changed or the disk is failing): the message it holds cannot be delivered");
        }
        return JournalRecord.decode(all, 8, body);
    }

    /** Writer thread: rewrites the live record {@code l} at the end of {@code to} with its current delivery count. */
    private void rewrite(Live l, Segment to) throws IOException {
        JournalRecord r = read(l.segment, l.offset, l.bytes);
        byte[] bytes = new JournalRecord(r.type(), r.seq(), r.message(), l.deliveries).encode();
        long at = to.size;
        write(to, new ByteBuffer[] {ByteBuffer.wrap(bytes)}, bytes.length);
        to.size += bytes.length;
        release(l);
        l.moveTo(to, at, bytes.length);
        to.live++;
        to.liveBytes += bytes.length;
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
                if (failure == null) fsync.force(s.channel);
                s.channel.close();
            } catch (IOException e) {
                log.warn("closing journal segment {}: {}", s.path, e.toString());
            }
        }
    }
}
