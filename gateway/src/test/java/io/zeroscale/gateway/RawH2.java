package io.zeroscale.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * An HTTP/2 client that writes exactly the frames a test asks for (floods, resets, CONTINUATION
 * runs) over a cleartext connection with prior knowledge, and reads frames back. Header blocks are
 * encoded and decoded with Netty's HPACK, nothing else.
 */
final class RawH2 implements AutoCloseable {
    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int PING = 0x6;
    static final int GOAWAY = 0x7;
    static final int WINDOW_UPDATE = 0x8;
    static final int CONTINUATION = 0x9;

    static final int END_STREAM = 0x1;
    static final int END_HEADERS = 0x4;

    record Frame(int type, int flags, int stream, byte[] payload) {
        int intAt(int offset) {
            return ByteBuffer.wrap(payload, offset, 4).getInt();
        }

        /** For GOAWAY: the error code; for RST_STREAM: the error code. */
        int errorCode() {
            return type == GOAWAY ? intAt(4) : intAt(0);
        }

        /** A GOAWAY's debug text. */
        String debugText() {
            return type == GOAWAY && payload.length > 8
                    ? new String(payload, 8, payload.length - 8, java.nio.charset.StandardCharsets.UTF_8) : "";
        }

        @Override
        public String toString() {
            return "Frame[type=" + type + ", flags=" + flags + ", stream=" + stream + ", length=" + payload.length
                    + (type == GOAWAY || type == RST_STREAM ? ", error=" + errorCode() : "")
                    + (type == GOAWAY ? ", debug=" + debugText() : "") + "]";
        }

        /** A SETTINGS frame's value of {@code id}, or -1. */
        long setting(int id) {
            for (int i = 0; i + 6 <= payload.length; i += 6) {
                int key = ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
                if (key == id) {
                    return ByteBuffer.wrap(payload, i + 2, 4).getInt() & 0xffffffffL;
                }
            }
            return -1;
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);

    /** Connects and sends the preface and an empty SETTINGS frame. */
    RawH2(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(30_000);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
        ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();
        byte[] bytes = new byte[preface.readableBytes()];
        preface.readBytes(bytes);
        preface.release();
        out.write(bytes);
        frame(SETTINGS, 0, 0, new byte[0]);
    }

    /** A GET request's headers for {@code path}. */
    static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("http").path(path).authority("a");
    }

    byte[] encode(int stream, Http2Headers headers) throws Http2Exception {
        ByteBuf block = Unpooled.buffer();
        try {
            encoder.encodeHeaders(stream, headers, block);
            byte[] bytes = new byte[block.readableBytes()];
            block.readBytes(bytes);
            return bytes;
        } finally {
            block.release();
        }
    }

    Http2Headers decode(Frame headers) throws Http2Exception {
        ByteBuf block = Unpooled.wrappedBuffer(headers.payload());
        try {
            return decoder.decodeHeaders(headers.stream(), block);
        } finally {
            block.release();
        }
    }

    RawH2 frame(int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] header = new byte[9];
        header[0] = (byte) (payload.length >>> 16);
        header[1] = (byte) (payload.length >>> 8);
        header[2] = (byte) payload.length;
        header[3] = (byte) type;
        header[4] = (byte) flags;
        ByteBuffer.wrap(header, 5, 4).putInt(stream);
        out.write(header);
        out.write(payload);
        return this;
    }

    RawH2 headers(int stream, Http2Headers headers, int flags) throws IOException, Http2Exception {
        return frame(HEADERS, flags, stream, encode(stream, headers));
    }

    RawH2 rst(int stream) throws IOException {
        return frame(RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt(0x8).array());
    }

    RawH2 ping(long data) throws IOException {
        return frame(PING, 0, 0, ByteBuffer.allocate(8).putLong(data).array());
    }

    void flush() throws IOException {
        out.flush();
    }

    /** The next frame; throws EOFException when the server closed the connection. */
    Frame read() throws IOException {
        int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = new byte[length];
        in.readFully(payload);
        return new Frame(type, flags, stream, payload);
    }

    /** Reads frames until one matches; fails when the connection ends first. */
    Frame readUntil(Predicate<Frame> wanted) throws IOException {
        while (true) {
            Frame frame = read();
            if (wanted.test(frame)) {
                return frame;
            }
        }
    }

    /** Every frame until the server closes the connection (a reset counts as closing). */
    List<Frame> readToEnd() throws IOException {
        List<Frame> frames = new ArrayList<>();
        try {
            while (true) {
                frames.add(read());
            }
        } catch (EOFException | SocketException e) {
            return frames;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
