package io.zeroscale.gateway;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.util.ArrayList;
import java.util.concurrent.RejectedExecutionException;

/**
 * Work one event loop defers to the end of its current turn (a task the loop runs after the I/O it
 * is handling), done once however many requests asked for it in that turn.
 *
 * <p>Flushes of HTTP/2 streams, coalesced per connection. A stream's flush is
 * its connection's flush, a {@code writev} on the socket; the gateway writes to a stream while it
 * reads a different connection (a client's requests go to streams of the endpoint's connection, the
 * endpoint's answers to streams of the clients' connections), where Netty's own batching (one flush
 * of a connection after reading it) does not apply. Flushing each stream at once cost one
 * {@code writev} per call in each direction; a profile of the gRPC benchmark had the gateway
 * spending more time in {@code writev} than in all of its Java code. Here the connection is
 * flushed once, by a task the loop runs after the I/O it is handling, so the calls that arrived in
 * one read go out in one write. HTTP/1.1 connections carry one request at a time and are flushed at
 * once.
 *
 * <p>Reports of a target's request counters to the hub ({@link TargetTraffic#report()}), coalesced
 * per target: every request used to report twice, on arrival and at its end, each time taking the
 * target's lock and building and comparing a snapshot; now a target is reported once per turn with
 * the counters as they are then, which still reflect every change (the last report is never stale).
 * Every method must be called on {@link #loop}.
 */
final class LoopTurn {
    private final EventLoop loop;
    /** Connections to flush at the end of this turn; a handful, so a list beats a set. */
    private final ArrayList<Channel> pending = new ArrayList<>(4);
    /** Targets whose counters changed in this turn. */
    private final ArrayList<TargetTraffic> reports = new ArrayList<>(2);
    private final Runnable runAll = this::runAll;
    private boolean scheduled;

    LoopTurn(EventLoop loop) {
        this.loop = loop;
    }

    /** Flushes {@code channel}: an HTTP/2 stream's connection at the end of this turn, anything else now. */
    void flush(Channel channel) {
        if (channel instanceof Http2StreamChannel stream) {
            later(stream.parent());
        } else {
            channel.flush();
        }
    }

    /**
     * Flushes {@code channel} (a stream's connection) at the end of this turn, whatever it is: for a
     * request whose body may still be in the read under way, so head and body leave in one write.
     */
    void flushSoon(Channel channel) {
        later(channel instanceof Http2StreamChannel stream ? stream.parent() : channel);
    }

    /** Reports {@code target}'s counters to the hub at the end of this turn. */
    void report(TargetTraffic target) {
        for (int i = 0; i < reports.size(); i++) {
            if (reports.get(i) == target) {
                schedule();
                return;
            }
        }
        reports.add(target);
        schedule();
    }

    private void later(Channel connection) {
        if (!pending.contains(connection)) {
            pending.add(connection);
        }
        schedule();
    }

    private void schedule() {
        if (!scheduled) {
            scheduled = true;
            try {
                loop.execute(runAll);
            } catch (RejectedExecutionException e) {
                // The loop is shutting down with the gateway: flush what there is now.
                runAll();
            }
        }
    }

    private void runAll() {
        scheduled = false;
        // A flush may run listeners that flush again: they land in a new batch.
        Channel[] connections = pending.toArray(new Channel[0]);
        pending.clear();
        for (Channel connection : connections) {
            connection.flush();
        }
        TargetTraffic[] targets = reports.toArray(new TargetTraffic[0]);
        reports.clear();
        for (TargetTraffic target : targets) {
            target.report();
        }
    }
}
