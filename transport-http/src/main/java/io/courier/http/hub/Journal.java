package io.courier.http.hub;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * <p><b>Recovery.</b> {@link #open} replays the segments in order ({@link JournalReplay}) into the {@link LiveIndex}
 * of live records and the segment holding each; every start writes to a new segment.
 *
 * <p><b>Compaction.</b> The active segment rolls at {@code segmentBytes}; after each write batch the writer removes
 * old segments as {@link Compaction} says. Payloads are read back from the segments by {@link RecordReader}.
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
     * whether damage found at start is salvaged (else the journal does not open), the largest record, the fsync, and
     * the most bytes its segments may take before sends are refused ({@link JournalLimit}; 0: no limit).
     */
    record Config(long segmentBytes, long minFreeBytes, boolean salvage, int maxRecordBytes, Fsync fsync, long maxBytes) {
        static Config of(long segmentBytes) { return new Config(segmentBytes, 0, false, 64 << 20, Fsync.FORCE, 0); }

        Config withFsync(Fsync f) { return new Config(segmentBytes, minFreeBytes, salvage, maxRecordBytes, f, maxBytes); }

        Config withMinFree(long bytes) { return new Config(segmentBytes, bytes, salvage, maxRecordBytes, fsync, maxBytes); }

        Config withSalvage(boolean on) { return new Config(segmentBytes, minFreeBytes, on, maxRecordBytes, fsync, maxBytes); }

        /** The journal's size limit ({@link JournalLimit}); 0: none. */
        Config withMaxBytes(long bytes) { return new Config(segmentBytes, minFreeBytes, salvage, maxRecordBytes, fsync, bytes); }
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

    private final Path dir;
    private final long segmentBytes;
    private final Config config;
    private final FileStore store;
    private final JournalLimit limit;
    private final AtomicLong queuedBytes = new AtomicLong();
    /** The first failed fsync: once set, nothing more is written and every append fails with it. */
    private volatile JournalFailedException failure;
    /** Free bytes that the last refused send needed (0: none refused since space was enough). */
    private volatile long refusedNeed;
    private volatile long diskFullLoggedAt;
    /** Writer thread only: bytes written to the active segment since its last fsync. */
    private boolean unforced;
    /** Writer thread only: the current batch's bytes are no longer counted as queued (it was written and answered). */
    private boolean unqueued;
    private final List<JournalDamage> damage = new ArrayList<>();
    private Path damagedDir;
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private final LiveIndex index = new LiveIndex();
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
        this.limit = new JournalLimit(dir, config.maxBytes());
        replay();
        try {
            roll();
        } catch (DiskFullException e) { // start anyway: the hub refuses sends until there is room, and must serve what it holds
            log.warn("journal in {}: the new segment could not get its header ({}); sends are refused until there is room", dir, e.getMessage());
            discardPartialWrite();
        }
        this.recovered = index.takeRecovered();
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
    CompletableFuture<Void> append(List<JournalRecord> batch) { return append(batch, false, true); }

    /**
     * Like {@link #append(List)}, but not refused for the journal's size limit: for a dead letter the hub makes of a
     * message it holds (the original's ACK follows, so the journal does not grow by it for long).
     */
    CompletableFuture<Void> appendBeyondLimit(List<JournalRecord> batch) { return append(batch, false, false); }

    /**
     * Like {@link #append(List)}, but the batch is forced even when it holds no send: for records whose loss at a
     * crash would undo an answer already given (the removal of a push subscription, whose ACK would otherwise come
     * back to life as the subscription at the next start).
     */
    CompletableFuture<Void> appendForced(List<JournalRecord> batch) { return append(batch, true, true); }

    private CompletableFuture<Void> append(List<JournalRecord> batch, boolean force, boolean limited) {
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
            RuntimeException overLimit = limited ? limit.check(stats.diskBytes() + queuedBytes.get(), total) : null;
            if (overLimit != null) {
                done.completeExceptionally(overLimit);
                return done;
            }
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
                if (!unqueued) for (Pending p : batch) queuedBytes.addAndGet(-p.total);
                unqueued = false;
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
                index.apply(p.records.get(i), active, at, p.bytes[i].length, null);
                at += p.bytes[i].length;
            }
        }
        publishStats(); // before the answers: a caller that read stats after its append sees its own batch counted
        for (Pending p : batch) queuedBytes.addAndGet(-p.total); // and only once: the next send is not refused for it twice
        unqueued = true;
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
        Path p = dir.resolve(Segment.name(id));
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

    private void syncDirectory() throws JournalFailedException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            throw failed("fsync of the directory " + dir, e);
        }
    }

    private void compact() throws IOException {
        for (Compaction.Step step; (step = Compaction.next(segments, segmentBytes, config.maxBytes())) != Compaction.Step.DONE; ) {
            if (step == Compaction.Step.DELETE_OLDEST) delete(segments.peekFirst());
            else relocate(segments.peekFirst());
        }
    }

    /** Rewrites the live messages of {@code oldest} at the head, forces, then deletes it. */
    private void relocate(Segment oldest) throws IOException {
        List<LiveIndex.Entry> moving = index.in(oldest);
        Segment active = segments.peekLast();
        for (LiveIndex.Entry l : moving) {
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

    // ------------------------------------------------------------------ start

    /** Replays the segments ({@link JournalReplay}); salvages when damage was found and the config says so. */
    private void replay() throws IOException {
        JournalReplay.Result r = JournalReplay.replay(dir, config, index);
        segments.addAll(r.segments());
        damage.addAll(r.damage());
        nextSeq.set(r.maxSeq() + 1);
        if (!damage.isEmpty()) salvage();
        if (!r.segments().isEmpty()) log.info("journal {}: replayed {} segments, {} unacked messages recovered", dir, r.segments().size(), index.size());
    }

    /**
     * Starts after damage: every live record is rewritten to a fresh segment chain and forced, and only then are the old
     * segment files moved to {@code damaged-<time>/} (kept for inspection), so the next start finds a clean journal.
     */
    private void salvage() throws IOException {
        List<Segment> damaged = new ArrayList<>(segments);
        List<LiveIndex.Entry> lives = index.all();
        segments.clear();
        Segment fresh = startSegment(damaged.get(damaged.size() - 1).id + 1, -1);
        for (LiveIndex.Entry l : lives) rewrite(l, fresh);
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

    // ------------------------------------------------------------------ payloads

    /**
     * The payload of the live message {@code seq}, read back from its segment ({@link RecordReader}), or null when the
     * journal no longer holds it (acked meanwhile). A record that no longer matches its checksum is an {@link IOException}
     * naming the segment and offset.
     */
    byte[] payload(long seq) throws IOException { return RecordReader.payload(index, seq); }

    /** Writer thread: rewrites the live record {@code l} at the end of {@code to} with its current delivery count. */
    private void rewrite(LiveIndex.Entry l, Segment to) throws IOException {
        JournalRecord r = RecordReader.read(l.segment, l.offset, l.bytes);
        byte[] bytes = new JournalRecord(r.type(), r.seq(), r.message(), l.deliveries).encode();
        long at = to.size;
        write(to, new ByteBuffer[] {ByteBuffer.wrap(bytes)}, bytes.length);
        to.size += bytes.length;
        LiveIndex.release(l);
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
