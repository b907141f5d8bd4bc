import { describe, expect, it } from 'vitest';
import { remoteFragments } from '../services/webrtc';

// Kept ICE candidates are matched to a remote description by its username fragments.
describe('remoteFragments', () => {
  it('reads each transport fragment once, in order', () => {
    const sdp = ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=ice-ufrag:AbCd', 'a=ice-pwd:x', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=ice-ufrag:AbCd', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=ice-ufrag:ef+/12'].join('\r\n');
    expect(remoteFragments({ sdp })).toEqual(['AbCd', 'ef+/12']);
  });

  it('finds none in a description without ICE credentials', () => {
    expect(remoteFragments({ sdp: 'v=0\r\nm=audio 9 RTP/AVP 0\r\n' })).toEqual([]);
    expect(remoteFragments({})).toEqual([]);
  });
});
