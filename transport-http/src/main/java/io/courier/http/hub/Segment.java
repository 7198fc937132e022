package io.courier.http.hub;

import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One segment file {@code seg-N.log} of the {@link Journal}: its open channel, how many bytes of it are records, and
 * how many of those records (and bytes) are still live. Sizes and counts are changed on the journal's writer thread
 * only (and by the replay, before it starts).
 */
final class Segment {
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

    /** The file name of segment {@code id}. */
    static String name(long id) { return String.format("seg-%016d.log", id); }

    /** The id in a segment's file name. */
    static long idOf(Path segment) { return Long.parseLong(segment.getFileName().toString().substring(4, 20)); }
}
