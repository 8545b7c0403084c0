// struct tcp_info as the kernel headers this addon was built with describe it. Which fields
// the running kernel fills is a separate question: getsockopt(TCP_INFO) returns the length it
// wrote, and lib/ reports a field as absent when it lies past that length. A field newer than
// these headers (tcpi_rcv_wnd on 6.1 headers, say) is absent from the layout altogether.
// The bitfields (tcpi_snd_wscale, tcpi_rcv_wscale, ...) have no offsetof and are left out.
#include "layouts.h"

#if defined(__linux__)
#include <linux/tcp.h>

#include <cstddef>
#endif

namespace syssock {

void AddTcpInfoLayout(Napi::Env env, Napi::Object target) {
#if defined(__linux__)
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("size", Napi::Number::New(env, static_cast<double>(sizeof(tcp_info))));
  Napi::Object fields = Napi::Object::New(env);
  layout.Set("fields", fields);
  target.Set("tcp_info", layout);
#define FIELD(member) \
  AddField(env, fields, #member, offsetof(tcp_info, member), sizeof(tcp_info::member), false)
  FIELD(tcpi_state);
  FIELD(tcpi_ca_state);
  FIELD(tcpi_retransmits);
  FIELD(tcpi_probes);
  FIELD(tcpi_backoff);
  FIELD(tcpi_options);
  FIELD(tcpi_rto);
  FIELD(tcpi_ato);
  FIELD(tcpi_snd_mss);
  FIELD(tcpi_rcv_mss);
  FIELD(tcpi_unacked);
  FIELD(tcpi_sacked);
  FIELD(tcpi_lost);
  FIELD(tcpi_retrans);
  FIELD(tcpi_fackets);
  FIELD(tcpi_last_data_sent);
  FIELD(tcpi_last_ack_sent);
  FIELD(tcpi_last_data_recv);
  FIELD(tcpi_last_ack_recv);
  FIELD(tcpi_pmtu);
  FIELD(tcpi_rcv_ssthresh);
  FIELD(tcpi_rtt);
  FIELD(tcpi_rttvar);
  FIELD(tcpi_snd_ssthresh);
  FIELD(tcpi_snd_cwnd);
  FIELD(tcpi_advmss);
  FIELD(tcpi_reordering);
  FIELD(tcpi_rcv_rtt);
  FIELD(tcpi_rcv_space);
  FIELD(tcpi_total_retrans);
  FIELD(tcpi_pacing_rate);
  FIELD(tcpi_max_pacing_rate);
  FIELD(tcpi_bytes_acked);
  FIELD(tcpi_bytes_received);
  FIELD(tcpi_segs_out);
  FIELD(tcpi_segs_in);
  FIELD(tcpi_notsent_bytes);
  FIELD(tcpi_min_rtt);
  FIELD(tcpi_data_segs_in);
  FIELD(tcpi_data_segs_out);
  FIELD(tcpi_delivery_rate);
  FIELD(tcpi_busy_time);
  FIELD(tcpi_rwnd_limited);
  FIELD(tcpi_sndbuf_limited);
  FIELD(tcpi_delivered);
  FIELD(tcpi_delivered_ce);
  FIELD(tcpi_bytes_sent);
  FIELD(tcpi_bytes_retrans);
  FIELD(tcpi_dsack_dups);
  FIELD(tcpi_reord_seen);
  FIELD(tcpi_rcv_ooopack);
  FIELD(tcpi_snd_wnd);
#undef FIELD
#else
  (void)env, (void)target;
#endif
}

}  // namespace syssock
