package io.zeroscale.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The client side's HTTP/1.1 codec: Netty's request decoder in its strict settings (RFC 9112
 * transfer coding, CR LF line ends), plus what Netty accepts but a proxy must refuse because the
 * next hop may read it differently: a header line folded onto the previous one ({@code obs-fold}).
 * Netty joins a folded line to the previous value, so the fold is only visible in the bytes; the
 * decoder looks at the bytes it consumed while reading a head, never at bodies. The encoder, like
 * {@code HttpServerCodec}'s, knows which request a response answers, so a response to {@code HEAD}
 * never carries a body even when the gateway wrote one.
 */
final class FrontendCodec extends CombinedChannelDuplexHandler<FrontendCodec.Decoder, FrontendCodec.Encoder> {
    /** The methods of the requests decoded and not answered yet, oldest first. */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    /** Told once per request when the first bytes of its head arrive (the header-timeout starts). */
    private final Runnable headStarted;

    FrontendCodec(HttpDecoderConfig config, Runnable headStarted) {
        this.headStarted = headStarted;
        init(new Decoder(config.clone().setUseRfc9112TransferEncoding(true).setStrictLineParsing(true)),
                new Encoder());
    }

    /** The request decoder with the fold check. */
    final class Decoder extends HttpRequestDecoder {
        /** Reading a message head (request line and headers), not a body. */
        private boolean inHead = true;
        private boolean lastWasLineFeed;
        private boolean folded;
        private boolean headBytesSeen;

        Decoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            int from = buffer.readerIndex();
            int produced = out.size();
            super.decode(ctx, buffer, out);
            if (inHead) {
                if (!headBytesSeen && buffer.writerIndex() > from) {
                    headBytesSeen = true;
                    headStarted.run();
                }
                scanHead(buffer, from, buffer.readerIndex());
            }
            for (int i = produced; i < out.size(); i++) {
                Object msg = out.get(i);
                if (msg instanceof HttpRequest request) {
                    if (folded && request.decoderResult().isSuccess()) {
                        request.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(
                                "a header line starts with a space or tab (obsolete line folding); send each header"
                                        + " on one line")));
                    }
                    methods.add(request.method());
                    inHead = false;
                    headBytesSeen = false;
                    folded = false;
                    lastWasLineFeed = false;
                }
                if (msg instanceof LastHttpContent) {
                    inHead = true;
                }
            }
        }

        /** Marks a line feed followed by a space or tab: a folded header line. */
        private void scanHead(ByteBuf buffer, int from, int to) {
            if (folded) {
                return;
            }
            boolean afterLineFeed = lastWasLineFeed;
            for (int i = from; i < to; i++) {
                byte b = buffer.getByte(i);
                if (afterLineFeed && (b == ' ' || b == '\t')) {
                    folded = true;
                    return;
                }
                afterLineFeed = b == '\n';
            }
            lastWasLineFeed = afterLineFeed;
        }
    }

    /** The response encoder that drops the body of an answer to {@code HEAD}. */
    final class Encoder extends HttpResponseEncoder {
        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            int code = msg.status().code();
            if (code >= 100 && code < 200 && code != 101) {
                // An interim answer: the request still waits for its final one.
                return super.isContentAlwaysEmpty(msg);
            }
            HttpMethod method = methods.poll();
            return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
        }
    }
}
