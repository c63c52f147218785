package io.zeroscale.gateway;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** The {@code trusted-proxies} of the config: the peers whose forwarding headers are believed. */
final class TrustedProxies {
    private final IpSubnetFilterRule[] rules;

    TrustedProxies(List<String> cidrs) {
        List<IpSubnetFilterRule> out = new ArrayList<>(cidrs.size());
        for (String cidr : cidrs) {
            out.add(parse(cidr));
        }
        rules = out.toArray(new IpSubnetFilterRule[0]);
    }

    boolean isEmpty() {
        return rules.length == 0;
    }

    /** True when {@code peer} is one of the trusted proxies. */
    boolean trusts(InetSocketAddress peer) {
        for (IpSubnetFilterRule rule : rules) {
            if (rule.matches(peer)) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code literal} (an address from a forwarding header) is a trusted proxy; never resolves a name. */
    boolean trustsLiteral(String literal) {
        if (rules.length == 0) {
            return false;
        }
        String text = literal.startsWith("[") && literal.endsWith("]") ? literal.substring(1, literal.length() - 1) : literal;
        if (!(io.netty.util.NetUtil.isValidIpV4Address(text) || io.netty.util.NetUtil.isValidIpV6Address(text))) {
            return false;
        }
        byte[] bytes = io.netty.util.NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes == null) {
            return false;
        }
        try {
            return trusts(new InetSocketAddress(InetAddress.getByAddress(bytes), 0));
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /**
     * Parses an address ({@code 10.1.2.3}, {@code ::1}) or a CIDR block ({@code 10.0.0.0/8}); only
     * literals, never a name to resolve.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static IpSubnetFilterRule parse(String cidr) {
        String text = cidr.strip();
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        if (address.isEmpty() || !(io.netty.util.NetUtil.isValidIpV4Address(address)
                || io.netty.util.NetUtil.isValidIpV6Address(address))) {
            throw new IllegalArgumentException("'" + cidr + "' is not an IP address or CIDR block; write e.g."
                    + " 10.0.0.0/8, 192.168.1.10 or ::1");
        }
        InetAddress parsed;
        try {
            parsed = InetAddress.getByName(address);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("'" + cidr + "' is not an IP address", e);
        }
        int max = parsed.getAddress().length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("'" + cidr + "' has a bad prefix length; it must be 0 to " + max);
            }
        }
        return new IpSubnetFilterRule(parsed, prefix, IpFilterRuleType.ACCEPT);
    }
}
